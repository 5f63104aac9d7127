//! The report's plots, drawn with `plotters` into PNG files: latency against load (fan-out and
//! private messages), server CPU per delivery against load (fan-out) and broadcast round trip
//! against room size (capacity), for ours and both peers.
//!
//! Text needs a font, loaded at run time from `/usr/share/fonts` (DejaVu Sans from Debian's
//! `fonts-dejavu-core`, or Liberation Sans); without one there are no plots, and the report
//! says how to get one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Result};
use plotters::prelude::*;

use crate::results::capacity::{self, Capacity};
use crate::results::ramp::Ramp;
use crate::results::Results;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 600;
const OURS: RGBColor = RGBColor(0x1f, 0x6f, 0xb4);
const NODE: RGBColor = RGBColor(0xd6, 0x4a, 0x1c);
const BUN: RGBColor = RGBColor(0x2e, 0x8b, 0x3a);

/// The servers' names and colours, in the order of [`crate::results::PerServer::each`].
const SERVERS: [(&str, RGBColor); 3] = [("ours", OURS), ("Node.js ws", NODE), ("Bun", BUN)];

/// Well-known places of a sans-serif font.
const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
];

/// Draws every plot it has figures for into `dir`; returns (file name, title) of each.
pub fn draw_all(results: &Results, dir: &Path) -> Result<Vec<(&'static str, &'static str)>> {
    load_font()?;
    let mut drawn = Vec::new();
    let f = &results.fanout;
    if f.ran() {
        let title = "Fan-out: latency against load (1,000 clients, 10 senders)";
        draw_ramp(
            &dir.join("fanout.png"),
            title,
            "offered deliveries per second",
            f.each(|x| Some(&x.ramp)),
        )?;
        drawn.push(("fanout.png", title));
        let title = "Fan-out: server CPU per delivery against load (one core)";
        draw_curves(
            &dir.join("fanout-cpu.png"),
            title,
            (
                "offered deliveries per second",
                "server CPU per delivery (µs)",
            ),
            per_server(f.each(|x| {
                let points: Vec<(f64, f64)> = x
                    .ramp
                    .steps
                    .iter()
                    .filter(|s| s.server_cpu_us_per_event > 0.0)
                    .map(|s| (s.offered, s.server_cpu_us_per_event))
                    .collect();
                (!points.is_empty()).then_some(points)
            })),
        )?;
        drawn.push(("fanout-cpu.png", title));
    }
    let c = &results.capacity;
    if c.ran() {
        let title = "Capacity: p95 broadcast round trip against room size (4 in flight)";
        draw_capacity(&dir.join("capacity.png"), title, c.each(Some))?;
        drawn.push(("capacity.png", title));
        let title = "Growth: server CPU per delivery against room size";
        let curves = c.each(|x| {
            let points: Vec<(f64, f64)> = x
                .steps
                .iter()
                .filter_map(|s| Some((s.size as f64, s.cpu_us_per_delivery?)))
                .filter(|p| p.1 > 0.0)
                .collect();
            (!points.is_empty()).then_some(points)
        });
        if curves.iter().any(Option::is_some) {
            draw_curves(
                &dir.join("capacity-cpu.png"),
                title,
                ("room size (members)", "server CPU per delivery (µs)"),
                per_server(curves),
            )?;
            drawn.push(("capacity-cpu.png", title));
        }
    }
    let p = &results.private;
    if p.ran() {
        let title = "Private messages: latency against load (1,000 users)";
        draw_ramp(
            &dir.join("private.png"),
            title,
            "offered messages per second",
            p.each(|x| Some(&x.ramp)),
        )?;
        drawn.push(("private.png", title));
    }
    if let Some(Ok(g)) = &results.growth {
        let title = "Growth: append and history latency against stored messages (p99)";
        let mut curves = Vec::new();
        for (i, e) in g.engines.iter().enumerate() {
            let (color, light) = [
                (OURS, RGBColor(0x7f, 0xb3, 0xe0)),
                (NODE, RGBColor(0xf0, 0xa0, 0x80)),
            ][i % 2];
            let line = |pick: fn(&crate::results::growth::Point) -> f64| -> Vec<(f64, f64)> {
                e.points
                    .iter()
                    .map(|p| (p.messages as f64, pick(p).max(0.001)))
                    .collect()
            };
            curves.push((
                format!("{} append p99", e.engine),
                color,
                line(|p| p.append_p99_ms),
            ));
            curves.push((
                format!("{} history p99", e.engine),
                light,
                line(|p| p.history_p99_ms),
            ));
        }
        if !curves.is_empty() {
            draw_curves(
                &dir.join("growth.png"),
                title,
                ("stored messages", "latency (ms)"),
                curves,
            )?;
            drawn.push(("growth.png", title));
        }
    }
    Ok(drawn)
}

/// Registers a sans-serif font for plotters, once.
fn load_font() -> Result<()> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let path = FONTS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
                .or_else(|| find_sans(Path::new("/usr/share/fonts")))
                .ok_or_else(|| {
                    "no font in /usr/share/fonts (apt-get install fonts-dejavu-core)".to_owned()
                })?;
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            // plotters keeps fonts for the life of the process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| format!("{} is not a usable font", path.display()))
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

/// Some `*Sans*.ttf` under `dir`.
fn find_sans(dir: &Path) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_sans(&path) {
                return Some(found);
            }
        } else {
            let name = path.file_name()?.to_string_lossy().to_string();
            if name.ends_with(".ttf") && name.contains("Sans") && !name.contains("Bold") {
                return Some(path);
            }
        }
    }
    None
}

fn plot_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing: {e:?}")
}

/// p50 and p99 latency against offered load, log-log, every server.
fn draw_ramp(path: &Path, title: &str, x_label: &str, ramps: [Option<&Ramp>; 3]) -> Result<()> {
    let steps: Vec<_> = ramps
        .iter()
        .flatten()
        .flat_map(|r| r.steps.iter())
        .collect();
    if steps.is_empty() {
        bail!("nothing to plot for {title}");
    }
    let x_min = steps.iter().map(|s| s.offered).fold(f64::MAX, f64::min) / 1.3;
    let x_max = steps.iter().map(|s| s.offered).fold(0.0, f64::max) * 1.3;
    let y_min = steps
        .iter()
        .map(|s| s.latency.p50_ms)
        .filter(|v| *v > 0.0)
        .fold(f64::MAX, f64::min)
        .min(1.0)
        / 2.0;
    let y_max = steps
        .iter()
        .map(|s| s.latency.p99_ms)
        .fold(0.0, f64::max)
        .max(200.0)
        * 2.0;
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (x_min.max(1.0)..x_max).log_scale(),
            (y_min.max(0.005)..y_max).log_scale(),
        )
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc("latency (ms)")
        .x_label_formatter(&|v| short(*v))
        .y_label_formatter(&|v| format!("{v}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    let limit = [(x_min.max(1.0), 100.0), (x_max, 100.0)];
    chart
        .draw_series(LineSeries::new(limit, BLACK.mix(0.4)))
        .map_err(plot_error)?
        .label("100 ms")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.4)));
    for ((name, color), ramp) in SERVERS.into_iter().zip(ramps) {
        let Some(ramp) = ramp else { continue };
        let p99: Vec<(f64, f64)> = ramp
            .steps
            .iter()
            .map(|s| (s.offered, s.latency.p99_ms.max(0.005)))
            .collect();
        let p50: Vec<(f64, f64)> = ramp
            .steps
            .iter()
            .map(|s| (s.offered, s.latency.p50_ms.max(0.005)))
            .collect();
        chart
            .draw_series(LineSeries::new(p99.clone(), color.stroke_width(3)))
            .map_err(plot_error)?
            .label(format!("{name} p99"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        chart
            .draw_series(p99.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(plot_error)?;
        chart
            .draw_series(LineSeries::new(p50.clone(), color.mix(0.5).stroke_width(1)))
            .map_err(plot_error)?
            .label(format!("{name} p50"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.mix(0.5)));
        chart
            .draw_series(p50.iter().map(|&p| Circle::new(p, 3, color.mix(0.5))))
            .map_err(plot_error)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// p95 round trip against room size, every server, with the 500 ms limit.
fn draw_capacity(path: &Path, title: &str, caps: [Option<&Capacity>; 3]) -> Result<()> {
    let steps: Vec<_> = caps.iter().flatten().flat_map(|c| c.steps.iter()).collect();
    if steps.is_empty() {
        bail!("nothing to plot for {title}");
    }
    let x_max = steps.iter().map(|s| s.size).max().unwrap_or(1) as f64 * 1.05;
    let y_max = steps
        .iter()
        .map(|s| s.rtt.p95_ms)
        .fold(0.0, f64::max)
        .clamp(1000.0, 1e5)
        * 1.5;
    let y_min = steps
        .iter()
        .map(|s| s.rtt.p95_ms)
        .filter(|v| *v > 0.0)
        .fold(f64::MAX, f64::min)
        .min(10.0)
        / 2.0;
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, (y_min.max(0.01)..y_max).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("room size (clients)")
        .y_desc("p95 round trip (ms)")
        .x_label_formatter(&|v| short(*v))
        .y_label_formatter(&|v| format!("{v}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    let limit = [(0.0, capacity::LIMIT_MS), (x_max, capacity::LIMIT_MS)];
    chart
        .draw_series(LineSeries::new(limit, BLACK.mix(0.4)))
        .map_err(plot_error)?
        .label("500 ms limit")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.4)));
    for ((name, color), cap) in SERVERS.into_iter().zip(caps) {
        let Some(cap) = cap else { continue };
        let points: Vec<(f64, f64)> = cap
            .steps
            .iter()
            .map(|s| (s.size as f64, s.rtt.p95_ms.clamp(y_min.max(0.01), y_max)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))
            .map_err(plot_error)?
            .label(format!("{name} p95"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(plot_error)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// A named curve: its legend, its colour, its points.
type Curve = (String, RGBColor, Vec<(f64, f64)>);

/// One curve per server, those that have points.
fn per_server(curves: [Option<Vec<(f64, f64)>>; 3]) -> Vec<Curve> {
    SERVERS
        .into_iter()
        .zip(curves)
        .filter_map(|((name, color), points)| Some((name.to_owned(), color, points?)))
        .collect()
}

/// Curves (log-log, points marked): server CPU per delivery against offered load or room
/// size, latency against stored messages, where the light-load comparison and the growth of
/// issue #25 are seen at a glance.
fn draw_curves(
    path: &Path,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    curves: Vec<Curve>,
) -> Result<()> {
    let all: Vec<(f64, f64)> = curves.iter().flat_map(|c| c.2.iter().copied()).collect();
    if all.is_empty() {
        bail!("nothing to plot for {title}");
    }
    let (x_min, x_max) = all.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let (y_min, y_max) = all.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(
            ((x_min / 1.3).max(1.0)..x_max * 1.3).log_scale(),
            ((y_min / 1.5).max(0.01)..y_max * 1.5).log_scale(),
        )
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|v| short(*v))
        .y_label_formatter(&|v| format!("{v}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    for (name, color, line) in curves {
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(3)))
            .map_err(plot_error)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        chart
            .draw_series(line.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(plot_error)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// 1500 → "1.5k", 2000000 → "2M".
fn short(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_are_short() {
        assert_eq!(short(1500.0), "1.5k");
        assert_eq!(short(2e6), "2M");
        assert_eq!(short(40.0), "40");
    }
}
