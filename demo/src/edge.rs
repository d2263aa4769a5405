//! Typed messages across real ports: every value of the codec's edge table
//! (`webext_port::test_support::edge_cases`) goes content → background through the library's
//! codec, and the background reports what it decoded; plus one typed, async round trip.
//!
//! An edge value the codec refuses is reported by the content script at once (a library
//! pre-check); every other one crosses the browser and is judged by the background.

use crate::content::report;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use webext_port::test_support::{edge_cases, Candidate};
use webext_port::{runtime, ConnectInfo, Port};

/// Runs `cmd` if it is one of this module's content-script commands.
pub fn run(cmd: &str) -> bool {
    match cmd {
        "edge-values" => send_all(),
        "typed-round-trip" => typed_round_trip(),
        _ => return false,
    }
    true
}

/// The port name prefix of one edge value's port: `edge:<name>`.
const PREFIX: &str = "edge:";

/// Content script: one port per edge value; each outcome lands in `r-edge_<name>`.
pub fn send_all() {
    for case in edge_cases() {
        let key = format!("edge_{}", case.name);
        let message = match (case.encode)(Candidate::Chosen) {
            Ok(message) => message,
            Err(err) => {
                report(&key, &format!("err:{}", err.kind()));
                continue;
            }
        };
        let port = match runtime::connect(&ConnectInfo::named(format!("{PREFIX}{}", case.name))) {
            Ok(port) => port,
            Err(err) => {
                report(&key, &format!("connect failed: {err}"));
                continue;
            }
        };
        let answered = port.clone();
        port.on_message(move |outcome| {
            report(&key, &outcome.as_string().unwrap_or_default());
            let _ = answered.disconnect();
        })
        .forget();
        // What a typed send posts: the codec's output, as it is.
        if let Err(err) = port.post(&message) {
            report(
                &format!("edge_{}", case.name),
                &format!("post failed: {err}"),
            );
        }
    }
}

/// Background: decodes what arrived on an `edge:<name>` port as that value's type and answers
/// with the outcome (`same`, `err:<kind>`, `different:…`). `false` when `port` is not one.
pub fn receive(port: &Port) -> bool {
    let Some(name) = port.name().strip_prefix(PREFIX) else {
        return false;
    };
    let Some(case) = edge_cases().into_iter().find(|c| c.name == name) else {
        let _ = port.post(&"unknown edge value".into());
        return true;
    };
    let replies = port.clone();
    port.on_message(move |message| {
        let outcome = (case.check)(Candidate::Chosen, message);
        let _ = replies.post(&outcome.into());
    })
    .forget();
    true
}

/// Content → background over a typed port, async on both sides.
#[derive(Serialize, Deserialize, Debug)]
pub enum Ping {
    /// A number JS cannot hold and text beyond the BMP.
    Ping {
        /// `u64::MAX` in the test.
        n: u64,
        /// "𝄞" in the test.
        text: String,
    },
}

/// Background → content.
#[derive(Serialize, Deserialize, Debug)]
pub enum Pong {
    /// The ping's fields, echoed.
    Pong {
        /// Echoed.
        n: u64,
        /// Echoed.
        text: String,
    },
}

/// Content script: a typed async round trip; reports `r-typed_async_round_trip`.
pub fn typed_round_trip() {
    const KEY: &str = "typed_async_round_trip";
    let port = match runtime::connect(&ConnectInfo::named("typed-ping")) {
        Ok(port) => port.typed::<Pong, Ping>(),
        Err(err) => return report(KEY, &format!("err:{}", err.kind())),
    };
    wasm_bindgen_futures::spawn_local(async move {
        let sent = port.send(&Ping::Ping {
            n: u64::MAX,
            text: "\u{1D11E}".to_owned(),
        });
        if let Err(err) = sent {
            return report(KEY, &format!("err:{}", err.kind()));
        }
        let value = match port.messages().next().await {
            Some(Ok(Pong::Pong { n, text })) => format!("pong n={n} text={text}"),
            Some(Err(err)) => format!("err:{}", err.kind()),
            None => format!("closed: {:?}", port.state()),
        };
        report(KEY, &value);
        let _ = port.disconnect();
    });
}

/// Background: answers "typed-ping" ports, async.
pub fn typed_pong(port: Port) {
    let port = port.typed::<Ping, Pong>();
    wasm_bindgen_futures::spawn_local(async move {
        let mut pings = port.messages();
        while let Some(ping) = pings.next().await {
            let Ok(Ping::Ping { n, text }) = ping else {
                continue;
            };
            let _ = port.send(&Pong::Pong { n, text });
        }
    });
}
