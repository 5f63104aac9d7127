//! The standard process metrics (`process_*`, as Prometheus's other clients export them),
//! read from `/proc/self` at scrape time: CPU time, memory, threads, file descriptors and the
//! start time.
//!
//! Linux only (the module is compiled there alone). A scrape that cannot read `/proc` (a
//! sandbox without it) leaves these metrics out and logs why, rather than failing the whole
//! scrape.

use std::fmt;

use procfs::process::Process;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// The collector registered in [`super::Metrics`]'s registry; it holds nothing, every value is
/// read when a scrape asks.
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// One reading of the process's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// User and system CPU time, in seconds.
    pub cpu_seconds: f64,
    /// Resident set size, in bytes.
    pub resident_bytes: u64,
    /// Virtual memory size, in bytes.
    pub virtual_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// The soft limit on open file descriptors (`RLIMIT_NOFILE`); `None` when unlimited.
    pub max_fds: Option<u64>,
    /// OS threads.
    pub threads: i64,
    /// When the process started, in seconds since the Unix epoch.
    pub start_time_seconds: f64,
}

impl Reading {
    /// Reads `/proc/self/stat`, `/proc/self/fd`, `/proc/stat`'s boot time and the descriptor
    /// limit.
    pub fn now() -> procfs::ProcResult<Self> {
        let me = Process::myself()?;
        let stat = me.stat()?;
        let ticks = procfs::ticks_per_second() as f64;
        let boot = procfs::boot_time_secs()? as f64;
        let max_fds = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        Ok(Self {
            cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
            resident_bytes: stat.rss.saturating_mul(procfs::page_size()),
            virtual_bytes: stat.vsize,
            open_fds: u64::try_from(me.fd_count()?).unwrap_or(u64::MAX),
            max_fds,
            threads: stat.num_threads,
            start_time_seconds: boot + stat.starttime as f64 / ticks,
        })
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let reading = match Reading::now() {
            Ok(reading) => reading,
            Err(error) => {
                tracing::warn!(%error, "process metrics left out: /proc is not readable");
                return Ok(());
            }
        };
        let cpu = ConstCounter::new(reading.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            MetricType::Counter,
        )?)?;
        let counts = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                Some(reading.resident_bytes),
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                Some(reading.virtual_bytes),
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                Some(reading.open_fds),
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                reading.max_fds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process.",
                u64::try_from(reading.threads).ok(),
            ),
        ];
        for (name, help, value) in counts {
            let Some(value) = value else { continue };
            ConstGauge::new(value).encode(encoder.encode_descriptor(
                name,
                help,
                None,
                MetricType::Gauge,
            )?)?;
        }
        ConstGauge::new(reading.start_time_seconds).encode(encoder.encode_descriptor(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            None,
            MetricType::Gauge,
        )?)?;
        Ok(())
    }
}
