//! Starting a WebDriver server and stopping it *and every browser process it started*, by pid.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running driver; dropping it kills the driver and all its descendants and deletes `profile`.
pub struct Driver {
    child: Child,
    pub port: u16,
    profile: PathBuf,
}

impl Driver {
    /// Starts `program`. With `own_group`, in a process group of its own: a Ctrl-C in the
    /// terminal then reaches only us, and our `Drop` stops the driver and its browser (by pid)
    /// instead of the signal killing the driver first and orphaning the browser.
    pub fn spawn(
        program: &str,
        args: &[String],
        port: u16,
        profile: PathBuf,
        log: &Path,
        own_group: bool,
    ) -> std::io::Result<Driver> {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(log)?;
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if own_group {
            command.process_group(0);
        }
        let child = command.spawn()?;
        Ok(Driver {
            child,
            port,
            profile,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The browser's fresh profile (Chromium: its `--user-data-dir`).
    pub fn profile(&self) -> &Path {
        &self.profile
    }
}

/// Every process whose parent chain leads to `root` (read from /proc).
pub fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of: HashMap<u32, u32> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let ppid = stat
                .rfind(')')
                .and_then(|end| stat[end + 1..].split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parent_of.insert(pid, ppid);
            }
        }
    }
    let mut found = Vec::new();
    for &pid in parent_of.keys() {
        let mut current = pid;
        while let Some(&parent) = parent_of.get(&current) {
            if parent == root {
                found.push(pid);
                break;
            }
            if parent <= 1 {
                break;
            }
            current = parent;
        }
    }
    found
}

fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Browsers first (found while the driver still holds them as children), then the driver.
        let browsers = descendants(self.child.id());
        for pid in &browsers {
            kill(*pid);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
        let left: Vec<u32> = browsers.into_iter().filter(|pid| is_alive(*pid)).collect();
        if !left.is_empty() {
            eprintln!("warning: processes still present after kill: {left:?}");
        }
    }
}

/// Whether `pid` still runs (a zombie waiting to be reaped does not).
pub fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rfind(')')
                .and_then(|end| stat[end + 1..].split_whitespace().next().map(str::to_owned))
        })
        .is_some_and(|state| state != "Z")
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
