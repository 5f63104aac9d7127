//! `deploy/`'s monitoring files hold together: the Prometheus config scrapes the compose file's
//! chat nodes at their port and path, the Grafana files parse and point at each other, the
//! monitoring services are an optional profile, and every metric the dashboard queries is one
//! the server really exposes; where `promtool` is installed, Prometheus's own checks pass on the
//! config and on a real scrape.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use testkit::spawn_app;
use yaml_rust2::{Yaml, YamlLoader};

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn read(path: &str) -> String {
    let path = deploy_dir().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(docs.len(), 1, "{path}: one document");
    docs.remove(0)
}

/// `node[key]`, looking into a YAML merge key (`<<: *anchor`) when the node has no such key
/// itself, as compose does.
fn field<'a>(node: &'a Yaml, key: &str) -> &'a Yaml {
    match &node[key] {
        Yaml::BadValue => &node["<<"][key],
        value => value,
    }
}

fn text(node: &Yaml) -> &str {
    node.as_str()
        .unwrap_or_else(|| panic!("not a string: {node:?}"))
}

/// The names of metrics in a PromQL expression: its identifiers that start like ours.
fn metric_names(expr: &str) -> Vec<&str> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| word.starts_with("chat_") || word.starts_with("process_"))
        .collect()
}

/// Every panel's queries, rows' panels included.
fn exprs(panels: &[Value], into: &mut Vec<String>) {
    for panel in panels {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("a target has an expr");
            into.push(expr.to_owned());
        }
        if let Some(inner) = panel["panels"].as_array() {
            exprs(inner, into);
        }
    }
}

#[test]
fn prometheus_scrapes_both_compose_nodes_and_monitoring_is_a_profile() {
    let compose = yaml("compose.yaml");
    let services = &compose["services"];
    let prometheus = yaml("prometheus.yml");
    let jobs = prometheus["scrape_configs"]
        .as_vec()
        .expect("scrape_configs");
    let chat = jobs
        .iter()
        .find(|job| job["job_name"].as_str() == Some("chat"))
        .expect("a job named chat (the dashboard selects job=\"chat\")");
    assert_eq!(text(&chat["metrics_path"]), "/metrics");
    let mut nodes = BTreeSet::new();
    for group in chat["static_configs"].as_vec().expect("static_configs") {
        for target in group["targets"].as_vec().expect("targets") {
            let (host, port) = text(target).rsplit_once(':').expect("host:port");
            let service = &services[host];
            assert!(!service.is_badvalue(), "{host} is not a compose service");
            let env_port = text(field(field(service, "environment"), "PORT"));
            assert_eq!(port, env_port, "{host} listens on {env_port}");
            nodes.insert(text(&group["labels"]["node"]).to_owned());
            assert_eq!(
                text(field(field(service, "environment"), "NODE_ID")),
                text(&group["labels"]["node"]),
                "{host}'s node label is its NODE_ID"
            );
        }
    }
    assert_eq!(nodes, BTreeSet::from(["a".to_owned(), "b".to_owned()]));

    // Prometheus and Grafana start only with `--profile monitoring`; the files they mount
    // exist, and Grafana's provisioning reads the dashboards where they are mounted.
    let mut mounted = Vec::new();
    for name in ["prometheus", "grafana"] {
        let service = &services[name];
        let profiles: Vec<&str> = service["profiles"]
            .as_vec()
            .unwrap_or_else(|| panic!("{name} has no profiles"))
            .iter()
            .map(text)
            .collect();
        assert_eq!(profiles, ["monitoring"], "{name}");
        for volume in service["volumes"].as_vec().expect("volumes") {
            let volume = text(volume);
            let Some(source) = volume.strip_prefix("./") else {
                continue;
            };
            let (source, target) = source.split_once(':').expect("source:target");
            assert!(deploy_dir().join(source).exists(), "{volume}: no {source}");
            mounted.push((source.to_owned(), target.to_owned()));
        }
    }
    let target_of = |source: &str| {
        mounted
            .iter()
            .find(|(s, _)| s == source)
            .map(|(_, t)| t.split(':').next().expect("a path").to_owned())
            .unwrap_or_else(|| panic!("{source} is not mounted"))
    };
    assert_eq!(
        target_of("prometheus.yml"),
        "/etc/prometheus/prometheus.yml"
    );
    assert_eq!(
        target_of("grafana/provisioning"),
        "/etc/grafana/provisioning"
    );
    let providers = yaml("grafana/provisioning/dashboards/chat.yaml");
    assert_eq!(
        text(&providers["providers"][0]["options"]["path"]),
        target_of("grafana/dashboards")
    );
    // The chat services are not in the profile: `up` without it runs the chat alone.
    for name in ["chat-a", "chat-b", "lb"] {
        assert!(services[name]["profiles"].is_badvalue(), "{name}");
    }
}

#[tokio::test]
async fn every_metric_the_dashboard_queries_is_exposed() {
    let dashboard: Value =
        serde_json::from_str(&read("grafana/dashboards/chat.json")).expect("the dashboard's JSON");
    let datasources = yaml("grafana/provisioning/datasources/prometheus.yaml");
    let uid = text(&datasources["datasources"][0]["uid"]);
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut ids = BTreeSet::new();
    for panel in panels {
        let id = panel["id"].as_u64().expect("a panel id");
        assert!(ids.insert(id), "panel id {id} twice");
        if panel["type"] != "row" {
            assert_eq!(panel["datasource"]["uid"], uid, "{}", panel["title"]);
        }
    }
    let mut queries = Vec::new();
    exprs(panels, &mut queries);
    let variables = dashboard["templating"]["list"]
        .as_array()
        .expect("variables");
    for variable in variables {
        if let Some(query) = variable["query"]["query"].as_str() {
            queries.push(query.to_owned());
        }
    }

    let app = spawn_app().await;
    let (_, exposition) = app.scrape().await;
    let exposed: BTreeSet<String> = exposition.series_names().into_iter().collect();
    let mut used = BTreeSet::new();
    for query in &queries {
        let names = metric_names(query);
        assert!(!names.is_empty(), "no metric in {query:?}");
        for name in names {
            assert!(
                exposed.contains(name),
                "the dashboard queries {name}, which /metrics does not expose ({query})"
            );
            used.insert(name.to_owned());
        }
    }
    // What the issue asks the dashboard to show, and every one of the server's counters.
    for name in [
        "chat_connections",
        "chat_users_online",
        "chat_frames_received_total",
        "chat_frames_sent_total",
        "chat_messages_stored_total",
        "chat_fanout_seconds_bucket",
        "chat_store_append_seconds_bucket",
        "chat_slow_consumers_disconnected_total",
        "chat_rate_limited_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        assert!(used.contains(name), "the dashboard does not show {name}");
    }
    for name in exposed.iter().filter(|n| n.ends_with("_total")) {
        assert!(used.contains(name), "the dashboard does not show {name}");
    }
}

/// Prometheus's own checker, where it is installed (Debian's `prometheus` package has it):
/// `promtool check config` on `deploy/prometheus.yml`, and `promtool check metrics` (the
/// exposition's syntax and Prometheus's naming conventions) on a real scrape. Without it the
/// test says so and checks nothing more than the tests above.
#[tokio::test]
async fn promtool_accepts_the_config_and_the_exposition() {
    use std::process::{Command, Stdio};
    use tokio::io::AsyncWriteExt;

    if Command::new("promtool").arg("--version").output().is_err() {
        eprintln!("promtool is not installed (Debian: apt-get install prometheus); not run");
        return;
    }
    let config = Command::new("promtool")
        .args(["check", "config"])
        .arg(deploy_dir().join("prometheus.yml"))
        .output()
        .expect("promtool check config");
    assert!(
        config.status.success(),
        "{}{}",
        String::from_utf8_lossy(&config.stdout),
        String::from_utf8_lossy(&config.stderr)
    );

    let app = spawn_app().await;
    let text = reqwest::get(app.url("/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("a body");
    let mut lint = tokio::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool check metrics");
    let mut stdin = lint.stdin.take().expect("stdin");
    stdin.write_all(text.as_bytes()).await.expect("write");
    drop(stdin);
    let out = lint.wait_with_output().await.expect("promtool's verdict");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
