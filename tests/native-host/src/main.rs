//! `webext-port-native-host`: a native messaging host for the end-to-end tests.
//!
//! Speaks the WebExtension native messaging protocol on stdio (4-byte native-endian length,
//! then UTF-8 JSON, both ways). Each message selects a mode through its `cmd` (see
//! [`modes::respond`]); any other value is echoed back as `{"echo": value}`. End of stdin (the
//! browser closed the port) exits with status 0; a malformed frame from the browser exits with
//! status 2. Command-line arguments (Chromium: `chrome-extension://ID/`; Firefox: manifest path
//! and extension id) are only recorded, and reported by `{"cmd":"hello"}`. If
//! `WEBEXT_PORT_HOST_LOG` names a file, one JSON line per event is appended to it (see [`log`]).

mod frame;
mod host;
mod log;
mod modes;

use std::io::{self, BufWriter};

fn main() {
    let info = modes::HostInfo {
        // args_os: a non-UTF-8 argument must not panic the host.
        args: std::env::args_os()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        pid: std::process::id(),
    };
    let log = log::EventLog::from_env(info.pid);
    log.start(&info.args);

    let ending = host::run(
        io::stdin().lock(),
        BufWriter::new(io::stdout().lock()),
        &info,
        &log,
    );
    let (code, reason) = (ending.code(), ending.reason());
    if code != 0 {
        eprintln!("webext-port-native-host: exiting with status {code}: {reason}");
    }
    log.exit(code, &reason);
    std::process::exit(code);
}
