//! What the kernel reports about a process: CPU time from `/proc/<pid>/stat` (`utime` +
//! `stime`, all threads, in clock ticks) and the peak resident set from `/proc/<pid>/status`
//! (`VmHWM`).

use std::io;
use std::time::Duration;

fn ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a constant of the system; it has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|t| *t > 0).unwrap_or(100)
}

/// `utime + stime` of the whole process (every thread, including ended ones).
pub fn cpu_time(pid: i32) -> io::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_cpu_time(&stat, ticks_per_second())
        .ok_or_else(|| io::Error::other(format!("unexpected /proc/{pid}/stat")))
}

fn parse_cpu_time(stat: &str, ticks_per_second: u64) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may contain anything; the fields after
    // its closing parenthesis start with the state (field 3). utime and stime are 14 and 15.
    let (_, after) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = utime + stime;
    Some(Duration::from_nanos(
        ticks.saturating_mul(1_000_000_000) / ticks_per_second,
    ))
}

/// CPU time of the process's live threads, to the nanosecond: the sum of the first field of
/// `/proc/<pid>/task/*/schedstat`. Threads that have ended are not counted, so this is for
/// short spans (a cold start), where clock ticks are too coarse.
pub fn precise_cpu_time(pid: i32) -> io::Result<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        // A thread may end between the listing and the read.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        total += text
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or_default();
    }
    Ok(Duration::from_nanos(total))
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
    fn reads_utime_and_stime_after_the_command_name() {
        let stat = "4242 (odd) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 3 0 100 1000 200";
        assert_eq!(parse_cpu_time(stat, 100), Some(Duration::from_millis(3000)));
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
        assert!(cpu_time(pid).is_ok());
        assert!(peak_rss(pid).is_ok_and(|bytes| bytes > 0));
        assert!(precise_cpu_time(pid).is_ok_and(|cpu| cpu > Duration::ZERO));
    }
}
