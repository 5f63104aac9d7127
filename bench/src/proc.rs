//! Reading `/proc`: a process's CPU time and resident memory, the machine's description, and
//! whether anyone else is busy on it.
//!
//! CPU time is `utime + stime` of `/proc/<pid>/stat`, which covers every thread of the process;
//! resident memory is `VmRSS` of `/proc/<pid>/status`.

use std::fs;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// CPU time and resident memory of one process at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub cpu: Duration,
    pub rss_bytes: u64,
}

/// Clock ticks per second of the `stat` times (`getconf CLK_TCK`, nearly always 100).
pub fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// CPU time used so far by process `pid` (`self` for this one).
pub fn cpu(pid: &str) -> Option<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = utime + stime;
    let hz = ticks_per_second();
    Some(Duration::from_secs(ticks / hz) + Duration::from_nanos((ticks % hz) * 1_000_000_000 / hz))
}

/// CPU time used so far by this process.
pub fn self_cpu() -> Duration {
    cpu("self").unwrap_or_default()
}

/// Resident memory of process `pid`, in bytes.
pub fn rss(pid: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time and resident memory of process `pid`.
pub fn usage(pid: u32) -> Usage {
    let pid = pid.to_string();
    Usage {
        cpu: cpu(&pid).unwrap_or_default(),
        rss_bytes: rss(&pid).unwrap_or_default(),
    }
}

/// The machine, as the report describes it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub memory_gib: f64,
    pub rustc: String,
    pub node: String,
}

impl Machine {
    /// The processors as the report says them: `2 × <model>`.
    pub fn cpu_text(&self) -> String {
        format!("{} × {}", self.cpus, self.cpu_model)
    }

    pub fn describe() -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpus = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
        let memory_gib = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_owned();
                line.split_whitespace().nth(1)?.parse::<f64>().ok()
            })
            .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
        Self {
            cpus,
            cpu_model,
            kernel,
            memory_gib,
            rustc: version_of("rustc", "--version"),
            node: version_of("node", "--version"),
        }
    }
}

fn version_of(program: &str, flag: &str) -> String {
    Command::new(program)
        .arg(flag)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "not found".to_owned(), |s| s.trim().to_owned())
}

/// How busy the machine is: the load averages and the number of compiler processes (`rustc`,
/// `clippy-driver`, `rustdoc`: someone compiling).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Busy {
    pub load_1m: f64,
    pub load_5m: f64,
    pub compilers: usize,
}

impl Busy {
    pub fn now() -> Self {
        let loadavg = fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let mut fields = loadavg.split_whitespace();
        let load_1m = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0.0);
        let load_5m = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0.0);
        let compilers = fs::read_dir("/proc")
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .bytes()
                            .all(|b| b.is_ascii_digit())
                    })
                    .filter_map(|e| fs::read_to_string(e.path().join("comm")).ok())
                    .filter(|comm| matches!(comm.trim(), "rustc" | "clippy-driver" | "rustdoc"))
                    .count()
            })
            .unwrap_or(0);
        Self {
            load_1m,
            load_5m,
            compilers,
        }
    }

    /// Quiet enough to measure: no compiler running and little load.
    ///
    /// The load average trails: it takes a minute or two of quiet to fall below 1.
    pub fn is_quiet(&self) -> bool {
        self.compilers == 0 && self.load_1m < 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_visible() {
        assert!(rss("self").unwrap() > 0);
        assert!(cpu("self").is_some());
        let machine = Machine::describe();
        assert!(machine.cpus >= 1);
    }
}
