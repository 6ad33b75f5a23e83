//! Child processes of `local-stack dev` (moto, cargo lambda watch) and how they are stopped
//! without leaving orphans.
//!
//! Each child leads its own process group, so a Ctrl-C in the terminal reaches only
//! `local-stack`, which then stops the children in order. `cargo lambda watch` runs every
//! function in a session of its own (out of reach of the group signal) and kills them itself
//! on SIGTERM; as a backstop, the descendants seen before stopping are killed if they outlive
//! their parent.

use std::collections::BTreeMap;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// How long a child gets to exit after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

pub struct Child {
    name: String,
    pid: i32,
    child: tokio::process::Child,
    stopped: bool,
}

fn signal(pid: i32, signal: libc::c_int) -> bool {
    // SAFETY: kill(2) has no memory effects; a negative pid addresses a process group.
    unsafe { libc::kill(pid, signal) == 0 }
}

/// Running (a zombie is not: it only waits for its parent to reap it).
fn alive(pid: i32) -> bool {
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_owned))
        });
    signal(pid, 0) && state.as_deref() != Some("Z")
}

/// Every live descendant of `root`, from the parent links in /proc.
fn descendants(root: i32) -> Vec<i32> {
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command name (which may contain spaces) in parentheses: state, ppid.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
        if let Some(ppid) = ppid {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

impl Child {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(name: &str, command: &mut tokio::process::Command) -> std::io::Result<Child> {
        let child = command.process_group(0).kill_on_drop(false).spawn()?;
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .ok_or_else(|| std::io::Error::other(format!("{name} exited at once")))?;
        Ok(Child {
            name: name.to_owned(),
            pid,
            child,
            stopped: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Resolves when the child exits on its own.
    pub async fn exited(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// Whether the child is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM to the group, SIGKILL after the grace period, then SIGKILL to any descendant
    /// still alive. Waits for the leader, so no zombie is left either.
    pub async fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let family = descendants(self.pid);
        signal(-self.pid, libc::SIGTERM);
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            let leader_gone = !matches!(self.child.try_wait(), Ok(None));
            if leader_gone && !signal(-self.pid, 0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        signal(-self.pid, libc::SIGKILL);
        let _ = self.child.wait().await;
        for pid in family.into_iter().filter(|pid| alive(*pid)) {
            if signal(pid, libc::SIGKILL) {
                tracing::warn!(child = %self.name, pid, "killed a leftover process");
            }
        }
    }
}

impl Drop for Child {
    /// On an early return (an error during start-up), nothing may outlive local-stack.
    fn drop(&mut self) {
        if !self.stopped {
            let family = descendants(self.pid);
            signal(-self.pid, libc::SIGKILL);
            for pid in family {
                signal(pid, libc::SIGKILL);
            }
            let _ = self.child.try_wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stop_ends_the_whole_tree() {
        // A shell whose grandchild starts a session of its own, as cargo lambda's functions do.
        let mut command = tokio::process::Command::new("sh");
        command.args(["-c", "setsid sleep 300 & sleep 300 & wait"]);
        let mut child = Child::spawn("tree", &mut command).expect("spawn");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let family = descendants(child.pid());
        assert!(family.len() >= 2, "{family:?}");
        child.stop().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let survivors: Vec<i32> = family.into_iter().filter(|pid| alive(*pid)).collect();
        assert!(survivors.is_empty(), "still alive: {survivors:?}");
    }
}
