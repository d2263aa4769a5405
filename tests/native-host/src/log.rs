//! Optional event log: when `WEBEXT_PORT_HOST_LOG` names a file, one JSON object per line is
//! appended for each event (`start`, `cmd`, `exit`), each carrying the host's pid, so tests can
//! check from outside that the process started, saw its commands and exited.

use serde_json::{json, Value};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

/// Environment variable naming the log file.
pub const LOG_ENV: &str = "WEBEXT_PORT_HOST_LOG";

/// Appends event lines to the log file, if one is configured; otherwise does nothing.
#[derive(Debug, Clone)]
pub struct EventLog {
    path: Option<PathBuf>,
    pid: u32,
}

impl EventLog {
    /// A log writing to `path` (or nowhere, if `None`), tagging every line with `pid`.
    pub fn new(path: Option<PathBuf>, pid: u32) -> Self {
        EventLog { path, pid }
    }

    /// A log writing to the file named by [`LOG_ENV`], if set and non-empty.
    pub fn from_env(pid: u32) -> Self {
        let path = std::env::var_os(LOG_ENV)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        Self::new(path, pid)
    }

    /// Records the start of the host with its arguments.
    pub fn start(&self, args: &[String]) {
        self.event("start", json!({ "args": args }));
    }

    /// Records a received message and its `cmd` (`null` for a message without one).
    pub fn cmd(&self, cmd: Option<&str>) {
        self.event("cmd", json!({ "cmd": cmd }));
    }

    /// Records that the host is exiting with `code`, and why.
    pub fn exit(&self, code: i32, reason: &str) {
        self.event("exit", json!({ "code": code, "reason": reason }));
    }

    /// Appends `{"pid":…,"event":event, …fields}` as one line. Logging failures are reported on
    /// stderr and otherwise ignored: the log must never change the host's behaviour.
    fn event(&self, event: &str, fields: Value) {
        let Some(path) = &self.path else { return };
        let mut line = json!({ "pid": self.pid, "event": event });
        if let (Some(obj), Value::Object(extra)) = (line.as_object_mut(), fields) {
            obj.extend(extra);
        }
        let mut text = line.to_string();
        text.push('\n');
        // One write_all of the whole line on an O_APPEND file keeps lines from interleaving.
        let result = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = result {
            eprintln!(
                "webext-port-native-host: cannot write log {}: {e}",
                path.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "webext-port-native-host-{}-{name}.log",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn writes_one_json_line_per_event() {
        let path = temp_path("events");
        let log = EventLog::new(Some(path.clone()), 99);
        log.start(&["a".into(), "b".into()]);
        log.cmd(Some("echo"));
        log.cmd(None);
        log.exit(0, "eof");
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines,
            vec![
                json!({"pid":99,"event":"start","args":["a","b"]}),
                json!({"pid":99,"event":"cmd","cmd":"echo"}),
                json!({"pid":99,"event":"cmd","cmd":null}),
                json!({"pid":99,"event":"exit","code":0,"reason":"eof"}),
            ]
        );
    }

    #[test]
    fn no_path_writes_nothing() {
        // Must simply not panic or create anything.
        EventLog::new(None, 1).exit(0, "eof");
    }
}
