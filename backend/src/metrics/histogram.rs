//! A latency histogram made of atomics, encoded by `prometheus-client` as a classic histogram.
//!
//! The library's own `Histogram` takes a mutex on every observation; fan-out and the journal
//! observe on their hot paths, so this one bumps two atomics instead (one bucket slot, the
//! sum) with `Relaxed` ordering: no lock, no allocation. It implements the library's
//! [`EncodeMetric`], so the registry writes its lines like any other metric's.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::exemplar::Exemplar;
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Upper bounds of the latency buckets, in seconds: 50µs to 5s, roughly ×2.5 per step.
/// Observations above the last bound land only in `+Inf`.
pub const LATENCY_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
];

/// A latency histogram with the fixed buckets of [`LATENCY_BUCKETS`]. Clones share the counts
/// (one is in the registry, one where the durations are observed).
///
/// Each observation bumps exactly one slot (the first bucket whose bound it does not exceed,
/// or the overflow slot); the encoder adds them up into Prometheus's cumulative buckets. The
/// count is that same total, read once, so `_count` always equals the `+Inf` bucket, even while
/// observations race with a scrape.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    inner: Arc<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    /// Observations per bucket, not cumulative; the last slot is above every bound.
    slots: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    /// The sum of all observations, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.inner.slots[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.inner.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// How many durations were recorded.
    pub fn count(&self) -> u64 {
        self.inner
            .slots
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .sum()
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), fmt::Error> {
        // Per bucket, not cumulative: the encoder accumulates. The overflow slot is the
        // `+Inf` bucket.
        let mut buckets = [(f64::INFINITY, 0); LATENCY_BUCKETS.len() + 1];
        for ((bucket, bound), slot) in buckets
            .iter_mut()
            .zip(LATENCY_BUCKETS.iter().chain([&f64::INFINITY]))
            .zip(&self.inner.slots)
        {
            *bucket = (*bound, slot.load(Ordering::Relaxed));
        }
        let count: u64 = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.inner.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram(
            sum,
            count,
            &buckets,
            None::<&HashMap<usize, Exemplar<NoLabelSet, f64>>>,
        )
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}
