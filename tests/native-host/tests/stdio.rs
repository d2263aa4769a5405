//! Runs the built host binary as a browser would: frames (4-byte native-endian length + JSON)
//! into its stdin, frames back from its stdout, and checks its exit status.
//!
//! The framing here is written independently of `src/frame.rs`, so a wrong byte order or length
//! in the host shows up as a failure rather than cancelling out.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const HOST: &str = env!("CARGO_BIN_EXE_webext-port-native-host");
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `f` on another thread and fails the test if it does not finish within [`LIMIT`], so a
/// host that stops answering fails instead of hanging the test run.
fn within_limit<F: FnOnce() + Send + 'static>(f: F) {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(()) => handle.join().expect("test thread"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: re-raise its panic.
            if let Err(p) = handle.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("host did not answer within {LIMIT:?}"),
    }
}

struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
}

impl Host {
    fn spawn(args: &[&str], log: Option<&PathBuf>) -> Host {
        let mut cmd = Command::new(HOST);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("WEBEXT_PORT_HOST_LOG");
        if let Some(path) = log {
            cmd.env("WEBEXT_PORT_HOST_LOG", path);
        }
        let mut child = cmd.spawn().expect("spawn host");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        Host {
            child,
            stdin,
            stdout,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to host");
        stdin.flush().expect("flush to host");
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string().into_bytes();
        let mut bytes = (body.len() as u32).to_ne_bytes().to_vec();
        bytes.extend_from_slice(&body);
        self.send_raw(&bytes);
    }

    /// One frame's body, or `None` if stdout ended cleanly before a header.
    fn recv_raw(&mut self) -> Option<Vec<u8>> {
        let mut header = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            let n = self.stdout.read(&mut header[got..]).expect("read host");
            if n == 0 {
                assert_eq!(got, 0, "host stdout ended inside a header");
                return None;
            }
            got += n;
        }
        let len = u32::from_ne_bytes(header) as usize;
        let mut body = vec![0u8; len];
        self.stdout
            .read_exact(&mut body)
            .expect("host stdout ended inside a body");
        Some(body)
    }

    fn recv(&mut self) -> Value {
        let body = self.recv_raw().expect("a frame, not end of stdout");
        serde_json::from_slice(&body).expect("frame body is JSON")
    }

    fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// Exit status; the host must exit within a few seconds.
    fn wait(mut self) -> ExitStatus {
        self.close_stdin();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("host did not exit within 10 s");
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

fn temp_log(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("native-host-{name}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn hello_reports_args_and_pid() {
    within_limit(|| {
        let mut host = Host::spawn(&["/tmp/manifest.json", "demo@webext-port"], None);
        let pid = host.child.id();
        host.send(&json!({"cmd":"hello"}));
        assert_eq!(
            host.recv(),
            json!({"reply":"hello","args":["/tmp/manifest.json","demo@webext-port"],"pid":pid})
        );
        host.send(&json!({"cmd":"pid"}));
        assert_eq!(host.recv(), json!({ "pid": pid }));
        assert_eq!(host.wait().code(), Some(0));
    });
}

#[test]
fn echo_and_wrapped_echo() {
    within_limit(|| {
        let mut host = Host::spawn(
            &["chrome-extension://abcdefghijklmnopabcdefghijklmnop/"],
            None,
        );
        let value = json!({"list":[1,2.5,"tr\u{e8}s \u{1f600}",null,true],"nested":{"a":{}}});
        host.send(&json!({"cmd":"echo","value":value.clone()}));
        assert_eq!(host.recv(), json!({ "echo": value }));
        host.send(&json!("just a string"));
        assert_eq!(host.recv(), json!({"echo":"just a string"}));
        host.send(&json!(42));
        assert_eq!(host.recv(), json!({"echo":42}));
        host.send(&json!({"no":"cmd"}));
        assert_eq!(host.recv(), json!({"echo":{"no":"cmd"}}));
        assert_eq!(host.wait().code(), Some(0));
    });
}

#[test]
fn burst_sends_numbered_frames_in_order() {
    within_limit(|| {
        let mut host = Host::spawn(&[], None);
        host.send(&json!({"cmd":"burst","count":300}));
        for i in 0..300 {
            assert_eq!(host.recv(), json!({ "burst": i }));
        }
        // Nothing extra after the burst: the next frame answers the next request.
        host.send(&json!({"cmd":"echo","value":"after"}));
        assert_eq!(host.recv(), json!({"echo":"after"}));
        assert_eq!(host.wait().code(), Some(0));
    });
}

#[test]
fn silent_sends_nothing_and_keeps_reading() {
    within_limit(|| {
        let mut host = Host::spawn(&[], None);
        host.send(&json!({"cmd":"silent"}));
        host.send(&json!({"cmd":"echo","value":1}));
        assert_eq!(host.recv(), json!({"echo":1}));
        assert_eq!(host.wait().code(), Some(0));
    });
}

#[test]
fn invalid_json_frame_is_framed_but_not_json() {
    within_limit(|| {
        let mut host = Host::spawn(&[], None);
        host.send(&json!({"cmd":"invalid_json"}));
        let body = host.recv_raw().expect("a frame");
        assert!(!body.is_empty());
        assert!(
            serde_json::from_slice::<Value>(&body).is_err(),
            "body parsed as JSON: {:?}",
            String::from_utf8_lossy(&body)
        );
        // Still framed correctly: the host keeps going.
        host.send(&json!({"cmd":"echo","value":"still here"}));
        assert_eq!(host.recv(), json!({"echo":"still here"}));
        assert_eq!(host.wait().code(), Some(0));
    });
}

#[test]
fn oversize_frame_exceeds_one_mib() {
    within_limit(|| {
        let mut host = Host::spawn(&[], None);
        host.send(&json!({"cmd":"oversize"}));
        let body = host.recv_raw().expect("a frame");
        assert!(body.len() > 1_048_576, "only {} bytes", body.len());
        assert_eq!(body.len(), 1_048_576 + 16);
        let v: Value = serde_json::from_slice(&body).expect("oversize body is JSON");
        assert!(v.is_string());
        host.send(&json!({"cmd":"echo","value":"after"}));
        assert_eq!(host.recv(), json!({"echo":"after"}));
        assert_eq!(host.wait().code(), Some(0));
    });
}

#[test]
fn exit_cmd_exits_zero_without_reply() {
    within_limit(|| {
        let mut host = Host::spawn(&[], None);
        host.send(&json!({"cmd":"echo","value":"before"}));
        assert_eq!(host.recv(), json!({"echo":"before"}));
        host.send(&json!({"cmd":"exit"}));
        // Exits without closing stdin first, and sends nothing more.
        assert_eq!(host.recv_raw(), None);
        assert_eq!(host.wait().code(), Some(0));
    });
}

#[test]
fn crash_cmd_exits_three() {
    within_limit(|| {
        let mut host = Host::spawn(&[], None);
        host.send(&json!({"cmd":"crash"}));
        assert_eq!(host.recv_raw(), None);
        assert_eq!(host.wait().code(), Some(3));
    });
}

#[test]
fn eof_exits_zero_and_logs_pid_and_exit() {
    within_limit(|| {
        let log = temp_log("eof");
        let mut host = Host::spawn(&["chrome-extension://x/"], Some(&log));
        let pid = host.child.id();
        host.send(&json!({"cmd":"pid"}));
        assert_eq!(host.recv(), json!({ "pid": pid }));
        host.close_stdin();
        assert_eq!(host.recv_raw(), None, "stdout closes after EOF on stdin");
        assert_eq!(host.wait().code(), Some(0));

        let text = std::fs::read_to_string(&log).expect("log written");
        let _ = std::fs::remove_file(&log);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("log line is JSON"))
            .collect();
        assert_eq!(
            lines,
            vec![
                json!({"pid":pid,"event":"start","args":["chrome-extension://x/"]}),
                json!({"pid":pid,"event":"cmd","cmd":"pid"}),
                json!({"pid":pid,"event":"exit","code":0,"reason":"eof"}),
            ]
        );
    });
}

#[test]
fn malformed_frames_exit_two() {
    within_limit(|| {
        let too_long = (64 * 1024 * 1024u32 + 1).to_ne_bytes().to_vec();
        let mut not_utf8 = 4u32.to_ne_bytes().to_vec();
        not_utf8.extend_from_slice(b"\"\xff\xfe\"");
        let mut not_json = 3u32.to_ne_bytes().to_vec();
        not_json.extend_from_slice(b"{a:");
        for (name, bytes) in [
            ("too long", too_long),
            ("not utf8", not_utf8),
            ("not json", not_json),
        ] {
            let mut host = Host::spawn(&[], None);
            host.send_raw(&bytes);
            // The too-long case sends only a header: the host must not wait for the body.
            assert_eq!(host.recv_raw(), None, "{name}: no reply");
            assert_eq!(host.wait().code(), Some(2), "{name}");
        }
    });
}
