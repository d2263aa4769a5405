//! What the host does with each message: a pure function from the decoded message (plus the
//! host's own arguments and pid) to an [`Action`].

use serde_json::{json, Value};

/// Most `{"burst":i}` frames one `burst` command produces.
pub const MAX_BURST: u64 = 10_000;

/// Body length of the `oversize` reply: 1 MiB + 16 bytes, over both browsers' 1 MiB
/// host → browser limit.
pub const OVERSIZE_LEN: usize = 1024 * 1024 + 16;

/// Body of the `invalid_json` reply: correctly framed, but not JSON.
pub const INVALID_JSON: &[u8] = b"{\"oops\":";

/// Facts about this host process that some replies report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// Command-line arguments after the program name (the browser's origin or manifest path and
    /// extension id).
    pub args: Vec<String>,
    /// This process's id.
    pub pid: u32,
}

/// What to do in answer to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send these frame bodies, in order, then keep reading.
    Reply(Vec<Vec<u8>>),
    /// Exit the process at once with this status, sending nothing.
    Exit(i32),
    /// Send nothing and keep reading.
    Nothing,
}

/// The `cmd` of a message, if it is an object whose `cmd` is a string.
pub fn command(msg: &Value) -> Option<&str> {
    msg.get("cmd").and_then(Value::as_str)
}

/// Decides the answer to `msg`.
///
/// Objects with a string `cmd` select a mode (`hello`, `echo`, `burst`, `exit`, `crash`,
/// `oversize`, `invalid_json`, `silent`, `pid`); every other value, including an object with an
/// unknown `cmd`, is echoed back as `{"echo": msg}`.
pub fn respond(msg: &Value, info: &HostInfo) -> Action {
    let Some(cmd) = command(msg) else {
        return reply(json!({ "echo": msg }));
    };
    match cmd {
        "hello" => reply(json!({ "reply": "hello", "args": info.args, "pid": info.pid })),
        "echo" => reply(json!({ "echo": msg.get("value").cloned().unwrap_or(Value::Null) })),
        "burst" => match msg.get("count").and_then(Value::as_u64) {
            Some(n) => Action::Reply(
                (0..n.min(MAX_BURST))
                    .map(|i| json!({ "burst": i }).to_string().into_bytes())
                    .collect(),
            ),
            None => reply(json!({
                "error": "burst needs a non-negative integer \"count\"",
                "got": msg.get("count").cloned().unwrap_or(Value::Null),
            })),
        },
        "exit" => Action::Exit(0),
        "crash" => Action::Exit(3),
        "oversize" => Action::Reply(vec![oversize_body()]),
        "invalid_json" => Action::Reply(vec![INVALID_JSON.to_vec()]),
        "silent" => Action::Nothing,
        "pid" => reply(json!({ "pid": info.pid })),
        _ => reply(json!({ "echo": msg })),
    }
}

fn reply(v: Value) -> Action {
    Action::Reply(vec![v.to_string().into_bytes()])
}

/// A JSON string literal exactly [`OVERSIZE_LEN`] bytes long, quotes included.
fn oversize_body() -> Vec<u8> {
    let mut body = Vec::with_capacity(OVERSIZE_LEN);
    body.push(b'"');
    body.resize(OVERSIZE_LEN - 1, b'a');
    body.push(b'"');
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> HostInfo {
        HostInfo {
            args: vec!["chrome-extension://abcdefghijklmnop/".into()],
            pid: 4242,
        }
    }

    /// The replies of `action`, parsed as JSON.
    fn json_replies(action: Action) -> Vec<Value> {
        match action {
            Action::Reply(frames) => frames
                .iter()
                .map(|f| serde_json::from_slice(f).expect("reply frame is JSON"))
                .collect(),
            other => panic!("expected Reply, got {other:?}"),
        }
    }

    #[test]
    fn hello_reports_args_and_pid() {
        assert_eq!(
            json_replies(respond(&json!({"cmd":"hello"}), &info())),
            vec![
                json!({"reply":"hello","args":["chrome-extension://abcdefghijklmnop/"],"pid":4242})
            ]
        );
        let firefox = HostInfo {
            args: vec![
                "/home/u/.mozilla/native-messaging-hosts/h.json".into(),
                "x@y".into(),
            ],
            pid: 7,
        };
        assert_eq!(
            json_replies(respond(&json!({"cmd":"hello"}), &firefox)),
            vec![
                json!({"reply":"hello","args":["/home/u/.mozilla/native-messaging-hosts/h.json","x@y"],"pid":7})
            ]
        );
    }

    #[test]
    fn echo_returns_value() {
        let v = json!({"nested":[1,"two",{"three":null}],"s":"\u{e9}\u{1f600}"});
        assert_eq!(
            json_replies(respond(&json!({"cmd":"echo","value":v.clone()}), &info())),
            vec![json!({ "echo": v })]
        );
        assert_eq!(
            json_replies(respond(&json!({"cmd":"echo"}), &info())),
            vec![json!({"echo":null})]
        );
    }

    #[test]
    fn non_commands_are_echoed_wrapped() {
        for v in [
            json!("text"),
            json!(12.5),
            json!(null),
            json!([1, 2]),
            json!({"a":1}),
            json!({"cmd":5}),
            json!({"cmd":"no-such-mode","x":1}),
        ] {
            assert_eq!(
                json_replies(respond(&v, &info())),
                vec![json!({ "echo": v })],
                "for {v}"
            );
        }
    }

    #[test]
    fn burst_sends_count_numbered_frames() {
        let got = json_replies(respond(&json!({"cmd":"burst","count":5}), &info()));
        let want: Vec<Value> = (0..5).map(|i| json!({ "burst": i })).collect();
        assert_eq!(got, want);
        assert_eq!(
            json_replies(respond(&json!({"cmd":"burst","count":0}), &info())),
            Vec::<Value>::new()
        );
    }

    #[test]
    fn burst_is_capped() {
        let got = json_replies(respond(&json!({"cmd":"burst","count":1_000_000}), &info()));
        assert_eq!(got.len() as u64, MAX_BURST);
        assert_eq!(got.last(), Some(&json!({ "burst": MAX_BURST - 1 })));
    }

    #[test]
    fn burst_with_bad_count_reports_error() {
        for bad in [
            json!({"cmd":"burst"}),
            json!({"cmd":"burst","count":-1}),
            json!({"cmd":"burst","count":"3"}),
        ] {
            let got = json_replies(respond(&bad, &info()));
            assert_eq!(got.len(), 1, "for {bad}");
            assert!(got[0].get("error").is_some(), "for {bad}: {}", got[0]);
        }
    }

    #[test]
    fn exit_and_crash_exit_without_reply() {
        assert_eq!(respond(&json!({"cmd":"exit"}), &info()), Action::Exit(0));
        assert_eq!(respond(&json!({"cmd":"crash"}), &info()), Action::Exit(3));
    }

    #[test]
    fn oversize_is_one_json_string_over_one_mib() {
        let Action::Reply(frames) = respond(&json!({"cmd":"oversize"}), &info()) else {
            panic!("expected Reply");
        };
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].len(), 1024 * 1024 + 16);
        assert!(frames[0].len() > 1_048_576);
        let v: Value = serde_json::from_slice(&frames[0]).expect("oversize body is JSON");
        assert!(v.is_string());
    }

    #[test]
    fn invalid_json_frame_is_not_json() {
        let Action::Reply(frames) = respond(&json!({"cmd":"invalid_json"}), &info()) else {
            panic!("expected Reply");
        };
        assert_eq!(frames.len(), 1);
        assert!(std::str::from_utf8(&frames[0]).is_ok(), "still UTF-8");
        assert!(serde_json::from_slice::<Value>(&frames[0]).is_err());
    }

    #[test]
    fn silent_sends_nothing() {
        assert_eq!(respond(&json!({"cmd":"silent"}), &info()), Action::Nothing);
    }

    #[test]
    fn pid_reports_pid() {
        assert_eq!(
            json_replies(respond(&json!({"cmd":"pid"}), &info())),
            vec![json!({"pid":4242})]
        );
    }

    #[test]
    fn command_reads_string_cmd_only() {
        assert_eq!(command(&json!({"cmd":"echo"})), Some("echo"));
        assert_eq!(command(&json!({"cmd":1})), None);
        assert_eq!(command(&json!("cmd")), None);
    }
}
