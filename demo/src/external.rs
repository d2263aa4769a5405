//! Test commands for extension ↔ extension ports, against the peer extension (`tests/peer/`), as
//! async functions that answer with the observations to show. The peer's id comes from the test
//! as the command's `arg` (it differs per browser).

use crate::background::{closing_reports, runtime_id};
use crate::js::{log, reason};
use crate::protocol::{report, FromContent, Reports, ToContent};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use webext_port::{runtime, Allowlist, ConnectInfo, ConnectListener, Port, TypedPort};

/// The peer's ids: Chromium's (from the `key` in tests/peer/manifest.json) and Firefox's gecko id.
pub const PEER_IDS: [&str; 2] = [
    "eeipkioiegfamkjepdbdpahhcblbddbb",
    "webext-port-peer@example.org",
];

/// What the peer understands (see `tests/peer/src/lib.rs`): a greeting or a command.
#[derive(Serialize, Debug, Default)]
struct ToPeer {
    #[serde(skip_serializing_if = "Option::is_none")]
    greeting: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cmd: Option<&'static str>,
}

/// What the peer says: an echo of our greeting (with what it saw of us), or what its own
/// connection back to us saw.
#[derive(Deserialize, Debug, Default)]
struct FromPeer {
    echo: Option<String>,
    caller: Option<String>,
    name: Option<String>,
    peer_saw: Option<String>,
}

type Peer = TypedPort<FromPeer, ToPeer>;

struct External {
    /// Who may open external ports to the demo; a test swaps it to see the peer refused.
    allowlist: Allowlist,
    listener: Option<ConnectListener>,
    /// Sender id of the last external port the allowlist let in.
    accepted_from: Option<String>,
    /// Sender id of the last external port the allowlist refused.
    rejected_from: Option<String>,
}

thread_local! {
    static STATE: RefCell<External> = RefCell::new(External {
        allowlist: Allowlist::new(PEER_IDS),
        listener: None,
        accepted_from: None,
        rejected_from: None,
    });
}

fn with<R>(f: impl FnOnce(&mut External) -> R) -> R {
    STATE.with(|state| f(&mut state.borrow_mut()))
}

/// Listens for external ports (including those held before the wasm was ready), through the
/// allowlist.
pub fn listen() {
    let listener = runtime::OnConnect::new().external().listen(|port| {
        if is_web_page(&port) {
            // A web page on an externally_connectable origin (Chromium only): it has no
            // extension id for the allowlist; answer its greeting and let it close.
            let page = port.typed::<FromContent, ToContent>();
            let _ = page.send(&ToContent::Greeting("welcome web page".into()));
            return;
        }
        let allowlist = with(|ext| ext.allowlist.clone());
        match allowlist.admit(port) {
            Ok(port) => {
                with(|ext| ext.accepted_from = port.sender().and_then(|s| s.id));
                let _ = port.typed::<(), ToPeer>().send(&ToPeer {
                    greeting: Some("welcome peer"),
                    ..ToPeer::default()
                });
            }
            Err(rejected) => {
                with(|ext| ext.rejected_from = rejected.into_sender().and_then(|s| s.id))
            }
        }
    });
    match listener {
        Ok(listener) => with(|ext| ext.listener = Some(listener)),
        Err(err) => log(&format!("cannot listen for external ports: {err}")),
    }
}

/// A port from a web page: its sender has a URL but no extension id.
fn is_web_page(port: &Port) -> bool {
    port.sender()
        .is_some_and(|s| s.id.is_none() && s.url.as_deref().is_some_and(|u| u.starts_with("http")))
}

fn allow(ids: &[&str]) {
    with(|ext| ext.allowlist = Allowlist::new(ids.iter().copied()));
}

/// "peer" when `id` is one of the peer's ids, else what it is.
fn who(id: Option<String>) -> String {
    match id {
        Some(id) if PEER_IDS.contains(&id.as_str()) => "peer".to_owned(),
        Some(id) => id,
        None => "nobody".to_owned(),
    }
}

fn open(peer: &str) -> Result<Peer, webext_port::PortError> {
    runtime::connect_external(peer, &ConnectInfo::named("from-demo")).map(|p| p.typed())
}

/// Runs `cmd` if it is an external one; `None` if it is not.
pub async fn command(cmd: &str, peer: &str) -> Option<Reports> {
    let unknown = |id| runtime::connect_external(id, &ConnectInfo::new());
    Some(match cmd {
        "external-round-trip" => round_trip(peer).await,
        "external-connect-back" => connect_back(peer, "external_accepted_round_trip").await,
        "external-rejected" => {
            // Only an id that is not the peer's: the peer's call back must be refused.
            allow(&["somebody-else@example.org"]);
            let reports = connect_back(peer, "external_rejected_by_allowlist").await;
            allow(&PEER_IDS);
            reports
        }
        "external-unknown-id" => {
            closing_reports(
                unknown("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                "external_unknown_id",
            )
            .await
        }
        "external-malformed-id" => {
            closing_reports(unknown("not an id!"), "external_malformed_id").await
        }
        "external-gecko-style-id" => {
            closing_reports(
                unknown("nonexistent@example.org"),
                "external_gecko_style_unknown_id",
            )
            .await
        }
        "external-peer-disconnects" => {
            let port = open(peer);
            if let Ok(port) = &port {
                let _ = port.send(&ToPeer {
                    cmd: Some("disconnect"),
                    ..ToPeer::default()
                });
            }
            closing_reports(port.map(|p| p.port().clone()), "external_peer_disconnects").await
        }
        _ => return None,
    })
}

/// Demo → peer: a greeting comes back echoed, with the caller id and port name the peer saw.
async fn round_trip(peer: &str) -> Reports {
    let port = match open(peer) {
        Ok(port) => port,
        Err(err) => return vec![report("external_round_trip", format!("err:{}", err.kind()))],
    };
    let _ = port.send(&ToPeer {
        greeting: Some("hello peer"),
        ..ToPeer::default()
    });
    let answer = port.messages().next().await;
    let _ = port.disconnect();
    let Some(Ok(answer)) = answer else {
        return vec![report(
            "external_round_trip",
            format!("no answer: {answer:?}"),
        )];
    };
    let seen = if answer.caller.is_some() && answer.caller == runtime_id() {
        "self".to_owned()
    } else {
        format!("{:?}", answer.caller)
    };
    vec![
        report("external_round_trip", answer.echo.unwrap_or_default()),
        report("external_peer_sees_caller_id", seen),
        report(
            "external_port_name_at_peer",
            answer.name.unwrap_or_default(),
        ),
    ]
}

/// Demo → peer → (peer calls back) → demo's allowlisted onConnectExternal. The peer tells us
/// over the first port what its call back saw: our welcome, or its disconnect.
async fn connect_back(peer: &str, key: &str) -> Reports {
    let port = match open(peer) {
        Ok(port) => port,
        Err(err) => return vec![report(key, format!("err:{}", err.kind()))],
    };
    let mut messages = port.messages();
    let _ = port.send(&ToPeer {
        cmd: Some("connect-back"),
        ..ToPeer::default()
    });
    let saw = loop {
        match messages.next().await {
            Some(Ok(FromPeer {
                peer_saw: Some(saw),
                ..
            })) => break saw,
            Some(_) => continue,
            None => break format!("closed: {}", reason(&port.closed().await)),
        }
    };
    let from = with(|ext| {
        if key == "external_rejected_by_allowlist" {
            ext.rejected_from.take()
        } else {
            ext.accepted_from.take()
        }
    });
    let _ = port.disconnect();
    vec![
        report(key, saw),
        report(&format!("{key}_sender"), who(from)),
    ]
}
