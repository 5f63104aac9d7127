//! `/metrics` as a test reads it: the Prometheus text exposition parsed by a real parser
//! (`openmetrics-parser`, a grammar of the format that also checks each family: one `HELP` and
//! `TYPE`, no sample twice, histogram buckets with `+Inf`, `_sum` and `_count`), then laid out
//! as families by name with their type and samples. [`Endpoint::scrape`] fetches and parses it.

use std::collections::BTreeMap;

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{PrometheusType, PrometheusValue};

use crate::client::Endpoint;

impl Endpoint {
    /// `GET /metrics`, checked to answer 200, parsed: its `Content-Type` and the exposition.
    /// Panics if the body is not a valid exposition.
    pub async fn scrape(&self) -> (String, Exposition) {
        let response = self
            .http()
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics");
        assert_eq!(response.status(), 200, "GET /metrics");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.expect("a /metrics body");
        let exposition = Exposition::parse(&text)
            .unwrap_or_else(|e| panic!("/metrics is not a valid exposition: {e}\n{text}"));
        (content_type, exposition)
    }
}

/// Every `chat_` family the server exposes, with its type: what dashboards and alerts rely on.
pub const CHAT_FAMILIES: [(&str, Kind); 16] = [
    ("chat_connections", Kind::Gauge),
    ("chat_users_online", Kind::Gauge),
    ("chat_rooms", Kind::Gauge),
    ("chat_connections_opened_total", Kind::Counter),
    ("chat_frames_received_total", Kind::Counter),
    ("chat_frames_sent_total", Kind::Counter),
    ("chat_write_batches_total", Kind::Counter),
    ("chat_messages_stored_total", Kind::Counter),
    ("chat_slow_consumers_disconnected_total", Kind::Counter),
    ("chat_queue_bytes_exceeded_total", Kind::Counter),
    ("chat_write_timeouts_total", Kind::Counter),
    ("chat_rate_limited_total", Kind::Counter),
    ("chat_flood_disconnects_total", Kind::Counter),
    ("chat_fanout_seconds", Kind::Histogram),
    ("chat_store_append_seconds", Kind::Histogram),
    ("chat_build_info", Kind::Gauge),
];

/// A metric family's type, as its `# TYPE` line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

/// One sample's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A counter's, gauge's or untyped metric's number.
    Number(f64),
    /// A histogram's series: cumulative buckets (upper bound, count) as exposed, `+Inf`
    /// included, then `_sum` and `_count`.
    Histogram {
        buckets: Vec<(f64, f64)>,
        sum: f64,
        count: u64,
    },
    /// A summary (the server exposes none).
    Summary,
}

/// One sample: its labels and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: Value,
}

/// One metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub kind: Kind,
    pub help: String,
    pub samples: Vec<Sample>,
}

/// A parsed exposition: families by name (a counter's name includes `_total`).
#[derive(Debug, Clone, PartialEq)]
pub struct Exposition {
    pub families: BTreeMap<String, Family>,
}

impl Exposition {
    /// Parses `text`; the parser's complaint if it is not a valid exposition.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = parse_prometheus(text).map_err(|e| format!("{e:?}"))?;
        let mut families = BTreeMap::new();
        for (name, family) in parsed.families {
            let kind = match family.family_type {
                PrometheusType::Counter => Kind::Counter,
                PrometheusType::Gauge => Kind::Gauge,
                PrometheusType::Histogram => Kind::Histogram,
                PrometheusType::Summary => Kind::Summary,
                PrometheusType::Unknown => Kind::Untyped,
            };
            let label_names = family.get_label_names().to_vec();
            let samples = family
                .iter_samples()
                .map(|sample| {
                    let labelset = sample.get_labelset().map_err(|e| format!("{e:?}"))?;
                    let labels = label_names
                        .iter()
                        .filter_map(|label| {
                            labelset
                                .get_label_value(label)
                                .map(|value| (label.clone(), value.to_owned()))
                        })
                        .collect();
                    let value = match &sample.value {
                        PrometheusValue::Unknown(n) | PrometheusValue::Gauge(n) => {
                            Value::Number(n.as_f64())
                        }
                        PrometheusValue::Counter(c) => Value::Number(c.value.as_f64()),
                        PrometheusValue::Histogram(h) => Value::Histogram {
                            buckets: h
                                .buckets
                                .iter()
                                .map(|b| (b.upper_bound, b.count.as_f64()))
                                .collect(),
                            sum: h.sum.map_or(f64::NAN, |s| s.as_f64()),
                            count: h.count.unwrap_or_default(),
                        },
                        PrometheusValue::Summary(_) => Value::Summary,
                    };
                    Ok(Sample { labels, value })
                })
                .collect::<Result<_, String>>()?;
            families.insert(
                name,
                Family {
                    kind,
                    help: family.help.clone(),
                    samples,
                },
            );
        }
        Ok(Self { families })
    }

    /// The family called `name`.
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.get(name)
    }

    /// The type of the family called `name`.
    pub fn kind(&self, name: &str) -> Option<Kind> {
        self.family(name).map(|f| f.kind)
    }

    /// The number of the one sample of counter, gauge or untyped `name`; `None` when there is
    /// no such family. Panics if it has labelled samples or several.
    pub fn get(&self, name: &str) -> Option<f64> {
        let family = self.family(name)?;
        match family.samples.as_slice() {
            [Sample {
                value: Value::Number(n),
                ..
            }] => Some(*n),
            other => panic!("{name} is not one number: {other:?}"),
        }
    }

    /// Like [`Exposition::get`], but panics (naming it) when `name` is missing.
    pub fn value(&self, name: &str) -> f64 {
        self.get(name)
            .unwrap_or_else(|| panic!("no {name} in the exposition"))
    }

    /// The buckets, sum and count of the one histogram sample of `name`. Panics if there is
    /// none.
    pub fn histogram(&self, name: &str) -> (Vec<(f64, f64)>, f64, u64) {
        let family = self
            .family(name)
            .unwrap_or_else(|| panic!("no {name} in the exposition"));
        match family.samples.as_slice() {
            [Sample {
                value:
                    Value::Histogram {
                        buckets,
                        sum,
                        count,
                    },
                ..
            }] => (buckets.clone(), *sum, *count),
            other => panic!("{name} is not one histogram: {other:?}"),
        }
    }

    /// Every series name a query can use: the family names, and for histograms their
    /// `_bucket`, `_sum` and `_count` series.
    pub fn series_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for (name, family) in &self.families {
            if family.kind == Kind::Histogram {
                names.extend(["_bucket", "_sum", "_count"].map(|s| format!("{name}{s}")));
            } else {
                names.push(name.clone());
            }
        }
        names
    }
}
