//! The native messaging example's host. The browser starts it once per `connect_native`, talks to
//! it over stdin/stdout and ends the conversation by closing stdin.
//!
//! The protocol, the same in Chromium and Firefox: every message is a 4-byte length in the
//! machine's native byte order, then that many bytes of UTF-8 JSON. Host → browser messages may
//! be at most 1 MiB. stdout carries only messages: anything else written there breaks the
//! protocol, so diagnostics go to stderr, which the browser does not read as messages.

use native_example_protocol::{Reply, Request};
use std::io::{self, Read, Write};
use std::process::ExitCode;

/// Browser → host messages larger than this are refused: this host never needs more, and a bogus
/// length must not make it allocate gigabytes.
const MAX_REQUEST: usize = 1024 * 1024;

fn main() -> ExitCode {
    // Chromium passes the caller's origin (chrome-extension://ID/), Firefox the path of the host
    // manifest and the extension id: useful to log, never a secret.
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!("native-example-host: started with {args:?}");
    let mut stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    loop {
        let request = match read_message(&mut stdin) {
            Ok(Some(bytes)) => bytes,
            // The browser closed stdin: the port was disconnected, or the extension went away.
            Ok(None) => return ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("native-example-host: cannot read a message: {err}");
                return ExitCode::FAILURE;
            }
        };
        let (reply, exit) = match serde_json::from_slice::<Request>(&request) {
            Ok(Request::SystemInfo) => (system_info(), None),
            Ok(Request::Exit { code }) => (Reply::Exiting, Some(code)),
            Err(err) => (
                Reply::Refused {
                    reason: err.to_string(),
                },
                None,
            ),
        };
        if let Err(err) = write_message(&mut stdout, &reply) {
            eprintln!("native-example-host: cannot write a message: {err}");
            return ExitCode::FAILURE;
        }
        if let Some(code) = exit {
            // The browser reports this to the extension as NativeHostExited, whatever the status.
            std::process::exit(code);
        }
    }
}

fn system_info() -> Reply {
    Reply::SystemInfo {
        os: std::env::consts::OS.to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        pid: std::process::id(),
    }
}

/// One message from the browser, or `None` when stdin ends between messages.
fn read_message(input: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    match input.read_exact(&mut header) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err),
    }
    let len = u32::from_ne_bytes(header) as usize;
    if len > MAX_REQUEST {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a message of {len} bytes, over this host's {MAX_REQUEST}"),
        ));
    }
    let mut body = vec![0; len];
    input.read_exact(&mut body)?;
    Ok(Some(body))
}

/// One message to the browser: the length, the JSON, then a flush (the browser reads nothing of
/// a message until all of it is there).
fn write_message(output: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let body = serde_json::to_vec(reply)?;
    let len = u32::try_from(body.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
    output.write_all(&len.to_ne_bytes())?;
    output.write_all(&body)?;
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request framed as the browser frames it gets one framed reply back.
    #[test]
    fn frames_round_trip() {
        let json = br#"{"type":"Exit","code":3}"#;
        let mut input = (json.len() as u32).to_ne_bytes().to_vec();
        input.extend_from_slice(json);
        let mut reader = &input[..];
        let request = read_message(&mut reader).unwrap().unwrap();
        assert_eq!(
            serde_json::from_slice::<Request>(&request).unwrap(),
            Request::Exit { code: 3 }
        );
        assert!(read_message(&mut reader).unwrap().is_none(), "end of input");

        let mut output = Vec::new();
        write_message(&mut output, &Reply::Exiting).unwrap();
        let body = br#"{"type":"Exiting"}"#;
        assert_eq!(&output[..4], &(body.len() as u32).to_ne_bytes());
        assert_eq!(&output[4..], body);
    }

    #[test]
    fn a_bogus_length_is_refused_before_allocating() {
        let mut reader = &u32::MAX.to_ne_bytes()[..];
        assert!(read_message(&mut reader).is_err());
    }
}
