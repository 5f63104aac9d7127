//! `Metrics::render` read back through a real exposition-format parser: the names, the types,
//! the gauges from the stats, counters and histograms that move.

use std::time::Duration;

use testkit::exposition::{Exposition, Kind, CHAT_FAMILIES};

use super::*;

const STATS: Stats = Stats {
    connections: 3,
    users_online: 2,
    rooms: 4,
};

fn parse(text: &str) -> Exposition {
    Exposition::parse(text).unwrap_or_else(|e| panic!("not an exposition: {e}\n{text}"))
}

#[test]
fn every_family_has_its_name_type_and_help() {
    let metrics = Metrics::default();
    let text = metrics.render(STATS, Some(0));
    let exposition = parse(&text);
    for (name, kind) in CHAT_FAMILIES
        .into_iter()
        .chain([("chat_store_lists_behind_ids", Kind::Gauge)])
    {
        let family = exposition
            .family(name)
            .unwrap_or_else(|| panic!("no {name}:\n{text}"));
        assert_eq!(family.kind, kind, "{name}");
        assert!(family.help.ends_with('.'), "{name}: {:?}", family.help);
        assert!(!family.help.ends_with(".."), "{name}: {:?}", family.help);
    }
    let chat = exposition
        .families
        .keys()
        .filter(|name| name.starts_with("chat_"))
        .count();
    assert_eq!(chat, CHAT_FAMILIES.len() + 1, "{text}");
    // One line per sample: no family rendered twice.
    assert_eq!(text.matches("# TYPE chat_rooms ").count(), 1);
}

#[test]
fn gauges_come_from_the_stats_and_counters_move() {
    let metrics = Metrics::default();
    let before = parse(&metrics.render(STATS, None));
    assert_eq!(before.value("chat_connections"), 3.0);
    assert_eq!(before.value("chat_users_online"), 2.0);
    assert_eq!(before.value("chat_rooms"), 4.0);
    assert_eq!(before.value("chat_messages_stored_total"), 0.0);
    assert!(before.family("chat_store_lists_behind_ids").is_none());
    let sqlite = parse(&metrics.render(STATS, Some(7)));
    assert_eq!(sqlite.value("chat_store_lists_behind_ids"), 7.0);

    metrics.messages_stored.inc_by(2);
    for _ in 0..5 {
        metrics.frames_sent.inc();
    }
    metrics.write_timeouts.inc();
    let after = parse(&metrics.render(STATS, None));
    assert_eq!(after.value("chat_messages_stored_total"), 2.0);
    assert_eq!(after.value("chat_frames_sent_total"), 5.0);
    assert_eq!(after.value("chat_write_timeouts_total"), 1.0);
    for name in [
        "chat_connections_opened_total",
        "chat_frames_received_total",
        "chat_slow_consumers_disconnected_total",
        "chat_rate_limited_total",
        "chat_flood_disconnects_total",
    ] {
        assert_eq!(after.value(name), 0.0, "{name}");
    }
}

#[test]
fn build_info_names_the_version() {
    let exposition = parse(&Metrics::default().render(STATS, None));
    let family = exposition.family("chat_build_info").expect("build info");
    let [sample] = family.samples.as_slice() else {
        panic!("{family:?}");
    };
    assert_eq!(
        sample.labels.get("version").map(String::as_str),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(sample.value, testkit::exposition::Value::Number(1.0));
}

#[test]
fn histogram_buckets_are_cumulative_and_count_and_sum_match() {
    let metrics = Metrics::default();
    let observed = [
        Duration::from_micros(10),
        Duration::from_micros(50),
        Duration::from_micros(300),
        Duration::from_millis(3),
        Duration::from_millis(3),
        Duration::from_secs(7),
    ];
    for took in observed {
        metrics.fanout_seconds.observe(took);
    }
    assert_eq!(metrics.fanout_seconds.count(), 6);
    let exposition = parse(&metrics.render(STATS, None));
    let (buckets, sum, count) = exposition.histogram("chat_fanout_seconds");
    // The bounds, unchanged, then `+Inf`.
    let bounds: Vec<f64> = buckets.iter().map(|(le, _)| *le).collect();
    assert_eq!(bounds[..LATENCY_BUCKETS.len()], LATENCY_BUCKETS);
    assert_eq!(bounds.last(), Some(&f64::INFINITY));
    assert_eq!(bounds.len(), LATENCY_BUCKETS.len() + 1);
    let bucket = |le: f64| {
        buckets
            .iter()
            .find(|(bound, _)| *bound == le)
            .map(|(_, n)| *n)
            .expect("a bucket")
    };
    // 10µs and exactly 50µs are both within the first bound.
    assert_eq!(bucket(0.000_05), 2.0);
    assert_eq!(bucket(0.000_25), 2.0);
    assert_eq!(bucket(0.000_5), 3.0);
    assert_eq!(bucket(0.005), 5.0);
    assert_eq!(bucket(5.0), 5.0);
    assert_eq!(bucket(f64::INFINITY), 6.0);
    assert!(
        buckets.windows(2).all(|w| w[0].1 <= w[1].1),
        "not cumulative: {buckets:?}"
    );
    assert_eq!(count, 6);
    let expected: f64 = observed.iter().map(Duration::as_secs_f64).sum();
    assert!((sum - expected).abs() < 1e-9, "{sum} != {expected}");
    // The other histogram is untouched, and still fully rendered.
    let (buckets, sum, count) = exposition.histogram("chat_store_append_seconds");
    assert_eq!(buckets.len(), LATENCY_BUCKETS.len() + 1);
    assert_eq!((sum, count), (0.0, 0));
}

#[cfg(target_os = "linux")]
#[test]
fn process_metrics_describe_this_process() {
    let exposition = parse(&Metrics::default().render(STATS, None));
    assert_eq!(
        exposition.kind("process_cpu_seconds_total"),
        Some(Kind::Counter)
    );
    for name in [
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_threads",
        "process_start_time_seconds",
    ] {
        assert_eq!(exposition.kind(name), Some(Kind::Gauge), "{name}");
    }
    let rss = exposition.value("process_resident_memory_bytes");
    assert!(
        rss > 1e6,
        "a running test binary has more than 1 MB resident: {rss}"
    );
    assert!(exposition.value("process_virtual_memory_bytes") >= rss);
    let open = exposition.value("process_open_fds");
    assert!(open >= 3.0 && open <= exposition.value("process_max_fds"));
    let started = exposition.value("process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    // This process started before now, and not days ago (a test run is short).
    assert!(
        started <= now + 1.0 && started > now - 86_400.0,
        "{started} vs {now}"
    );

    // Burning CPU moves the counter (other tests' threads may open and close files meanwhile,
    // so the descriptor count is only checked to be plausible).
    let spin = std::time::Instant::now();
    let mut x = 0u64;
    while spin.elapsed() < Duration::from_millis(60) {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    let later = parse(&Metrics::default().render(STATS, None));
    assert!(
        later.value("process_cpu_seconds_total") > exposition.value("process_cpu_seconds_total"),
        "60 ms of spinning did not move the CPU counter"
    );
}
