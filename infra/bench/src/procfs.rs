//! What the kernel reports about a process: the CPU time of each of its threads from
//! `/proc/<pid>/task/*/schedstat` (nanoseconds, where `/proc/<pid>/stat` counts clock ticks of
//! 10 ms) and the peak resident set from `/proc/<pid>/status` (`VmHWM`).

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

/// CPU time used so far by each live thread of a process, by thread id, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadCpu(BTreeMap<u64, u64>);

impl ThreadCpu {
    pub fn read(pid: i32) -> io::Result<ThreadCpu> {
        let mut threads = BTreeMap::new();
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
            let task = task?;
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            // A thread may end between the listing and the read.
            let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            if let Some(ns) = text.split_whitespace().next().and_then(|n| n.parse().ok()) {
                threads.insert(tid, ns);
            }
        }
        Ok(ThreadCpu(threads))
    }

    /// All the CPU the live threads have used.
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.0.values().sum())
    }

    /// CPU used since `earlier`: each thread's growth, all of a thread started since. A thread
    /// that ended in between is not counted; the functions serve on one thread that lives as
    /// long as the process.
    pub fn since(&self, earlier: &ThreadCpu) -> Duration {
        Duration::from_nanos(
            self.0
                .iter()
                .map(|(tid, ns)| ns.saturating_sub(earlier.0.get(tid).copied().unwrap_or(0)))
                .sum(),
        )
    }
}

/// The process's peak resident set size (`VmHWM`), in bytes.
pub fn peak_rss(pid: i32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_vm_hwm(&status).ok_or_else(|| io::Error::other(format!("no VmHWM in /proc/{pid}/status")))
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix("VmHWM:")?.trim();
        let kib: u64 = value.strip_suffix("kB")?.trim().parse().ok()?;
        Some(kib * 1024)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_since_counts_growth_and_new_threads() {
        let earlier = ThreadCpu(BTreeMap::from([(1, 1_000), (2, 5_000)]));
        let later = ThreadCpu(BTreeMap::from([(1, 1_500), (3, 700)]));
        assert_eq!(later.since(&earlier), Duration::from_nanos(500 + 700));
        assert_eq!(later.total(), Duration::from_nanos(2_200));
    }

    #[test]
    fn reads_vm_hwm_in_bytes() {
        let status =
            "Name:\tbootstrap\nVmPeak:\t  30000 kB\nVmHWM:\t   15360 kB\nVmRSS:\t 15000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(15360 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_has_cpu_time_and_a_peak() {
        let pid = i32::try_from(std::process::id()).unwrap_or_default();
        assert!(peak_rss(pid).is_ok_and(|bytes| bytes > 0));
        assert!(ThreadCpu::read(pid).is_ok_and(|cpu| cpu.total() > Duration::ZERO));
    }
}
