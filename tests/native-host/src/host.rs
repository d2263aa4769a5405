//! The host's read–respond loop, generic over its input and output so it runs in tests on
//! in-memory buffers.

use crate::frame::{read_frame, write_frame, FrameError};
use crate::log::EventLog;
use crate::modes::{command, respond, Action, HostInfo};
use serde_json::Value;
use std::io::{Read, Write};

/// Why the loop ended; decides the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Clean end of input: the browser closed the port. Status 0.
    Eof,
    /// An `exit` (0) or `crash` (3) command.
    Command(i32),
    /// The browser sent a frame that is too long, truncated, not UTF-8 or not JSON. Status 2.
    Malformed(String),
    /// Reading stdin failed. Status 1.
    ReadFailed(String),
    /// Writing stdout failed. Status 1.
    WriteFailed(String),
}

impl Ending {
    /// The process exit status for this ending.
    pub fn code(&self) -> i32 {
        match self {
            Ending::Eof => 0,
            Ending::Command(code) => *code,
            Ending::Malformed(_) => 2,
            Ending::ReadFailed(_) | Ending::WriteFailed(_) => 1,
        }
    }

    /// A short human-readable reason, for stderr and the event log.
    pub fn reason(&self) -> String {
        match self {
            Ending::Eof => "eof".into(),
            Ending::Command(0) => "exit command".into(),
            Ending::Command(code) => format!("crash command (status {code})"),
            Ending::Malformed(why) => format!("malformed frame: {why}"),
            Ending::ReadFailed(why) => format!("stdin: {why}"),
            Ending::WriteFailed(why) => format!("stdout: {why}"),
        }
    }
}

/// Reads frames from `input` and answers each on `output` until the input ends, a command
/// asks to exit, or a frame is malformed.
pub fn run<R: Read, W: Write>(
    mut input: R,
    mut output: W,
    info: &HostInfo,
    log: &EventLog,
) -> Ending {
    loop {
        let body = match read_frame(&mut input) {
            Ok(Some(body)) => body,
            Ok(None) => return Ending::Eof,
            Err(FrameError::Io(e)) => return Ending::ReadFailed(e.to_string()),
            Err(e) => return Ending::Malformed(e.to_string()),
        };
        let text = match std::str::from_utf8(&body) {
            Ok(text) => text,
            Err(e) => return Ending::Malformed(format!("body is not UTF-8: {e}")),
        };
        let msg: Value = match serde_json::from_str(text) {
            Ok(msg) => msg,
            Err(e) => return Ending::Malformed(format!("body is not JSON: {e}")),
        };
        log.cmd(command(&msg));
        match respond(&msg, info) {
            Action::Reply(frames) => {
                for frame in &frames {
                    if let Err(e) = write_frame(&mut output, frame) {
                        return Ending::WriteFailed(e.to_string());
                    }
                }
            }
            Action::Exit(code) => return Ending::Command(code),
            Action::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::MAX_INCOMING;
    use serde_json::json;
    use std::io::{self, Cursor};

    fn info() -> HostInfo {
        HostInfo {
            args: vec![],
            pid: 1,
        }
    }

    fn frames(bodies: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for b in bodies {
            write_frame(&mut v, b).unwrap();
        }
        v
    }

    fn run_on(input: Vec<u8>) -> (Ending, Vec<Value>) {
        let mut out = Vec::new();
        let ending = run(
            Cursor::new(input),
            &mut out,
            &info(),
            &EventLog::new(None, 1),
        );
        let mut r = Cursor::new(out);
        let mut replies = Vec::new();
        while let Some(f) = read_frame(&mut r).unwrap() {
            replies.push(serde_json::from_slice(&f).unwrap_or(json!("<not json>")));
        }
        (ending, replies)
    }

    #[test]
    fn eof_ends_with_status_zero() {
        let (ending, replies) = run_on(frames(&[br#"{"cmd":"pid"}"#]));
        assert_eq!(ending, Ending::Eof);
        assert_eq!(ending.code(), 0);
        assert_eq!(replies, vec![json!({"pid":1})]);
    }

    #[test]
    fn exit_and_crash_stop_reading() {
        let (ending, replies) = run_on(frames(&[b"1", br#"{"cmd":"exit"}"#, b"2"]));
        assert_eq!((ending.clone(), ending.code()), (Ending::Command(0), 0));
        assert_eq!(replies, vec![json!({"echo":1})]);
        let (ending, replies) = run_on(frames(&[br#"{"cmd":"crash"}"#, b"2"]));
        assert_eq!((ending.clone(), ending.code()), (Ending::Command(3), 3));
        assert!(replies.is_empty());
    }

    #[test]
    fn silent_then_more_keeps_going() {
        let (ending, replies) = run_on(frames(&[br#"{"cmd":"silent"}"#, br#""x""#]));
        assert_eq!(ending, Ending::Eof);
        assert_eq!(replies, vec![json!({"echo":"x"})]);
    }

    #[test]
    fn malformed_frames_end_with_status_two() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("not utf8", frames(&[b"\"\xff\xfe\""])),
            ("not json", frames(&[b"{\"a\":"])),
            ("too long", (MAX_INCOMING + 1).to_ne_bytes().to_vec()),
            ("truncated", {
                let mut v = frames(&[b"\"abc\""]);
                v.pop();
                v
            }),
        ];
        for (name, input) in cases {
            let (ending, replies) = run_on(input);
            assert!(matches!(ending, Ending::Malformed(_)), "{name}: {ending:?}");
            assert_eq!(ending.code(), 2, "{name}");
            assert!(replies.is_empty(), "{name}");
        }
    }

    struct BrokenPipe;

    impl Write for BrokenPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_failure_ends_with_status_one() {
        let ending = run(
            Cursor::new(frames(&[b"1"])),
            BrokenPipe,
            &info(),
            &EventLog::new(None, 1),
        );
        assert!(matches!(ending, Ending::WriteFailed(_)), "{ending:?}");
        assert_eq!(ending.code(), 1);
    }
}
