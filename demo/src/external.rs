//! Test commands for extension ↔ extension ports, against the peer extension (`peer/`).
//! The peer's id comes from the test as the command's `arg` (it differs per browser).

use crate::background::{keep_opened, reply, report_disconnect, runtime_id, Connection};
use crate::js::{object, reason, string};
use std::cell::RefCell;
use webext_port::{runtime, Allowlist, ConnectInfo, ConnectListener, Port};

/// The peer's ids: Chromium's (from the `key` in peer/manifest.json) and Firefox's gecko id.
pub const PEER_IDS: [&str; 2] = [
    "eeipkioiegfamkjepdbdpahhcblbddbb",
    "webext-port-peer@example.org",
];

struct External {
    /// Who may open external ports to the demo; a test swaps it to see the peer refused.
    allowlist: Allowlist,
    listener: Option<ConnectListener>,
    /// Sender id of the last external port the allowlist let in.
    accepted_from: Option<String>,
    /// Sender id of the last external port the allowlist refused.
    rejected_from: Option<String>,
    accepted: Vec<Connection>,
}

thread_local! {
    static STATE: RefCell<External> = RefCell::new(External {
        allowlist: Allowlist::new(PEER_IDS),
        listener: None,
        accepted_from: None,
        rejected_from: None,
        accepted: Vec::new(),
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
            let _ = port.post(&object(&[("greeting", "welcome web page".into())]));
            return keep_opened(Connection {
                port,
                _on_message: None,
                _on_disconnect: None,
            });
        }
        let allowlist = with(|ext| ext.allowlist.clone());
        match allowlist.admit(port) {
            Ok(port) => accepted(port),
            Err(rejected) => {
                with(|ext| ext.rejected_from = rejected.into_sender().and_then(|s| s.id))
            }
        }
    });
    match listener {
        Ok(listener) => with(|ext| ext.listener = Some(listener)),
        Err(err) => crate::js::log(&format!("cannot listen for external ports: {err}")),
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

fn accepted(port: Port) {
    let id = port.sender().and_then(|s| s.id);
    let _ = port.post(&object(&[("greeting", "welcome peer".into())]));
    with(|ext| {
        ext.accepted_from = id;
        ext.accepted.retain(|c| c.port.is_connected());
        ext.accepted.push(Connection {
            port,
            _on_message: None,
            _on_disconnect: None,
        });
    });
}

/// "peer" when `id` is one of the peer's ids, else what it is.
fn who(id: Option<String>) -> String {
    match id {
        Some(id) if PEER_IDS.contains(&id.as_str()) => "peer".to_owned(),
        Some(id) => id,
        None => "nobody".to_owned(),
    }
}

/// Runs `cmd` if it is an external one; `false` if it is not.
pub fn command(cmd: &str, arg: &str, requester: &Port) -> bool {
    let requester = requester.clone();
    match cmd {
        "external-round-trip" => round_trip(arg, requester),
        "external-connect-back" => connect_back(arg, requester, "external_accepted_round_trip"),
        "external-rejected" => {
            // Only an id that is not the peer's: the peer's call back must be refused.
            allow(&["somebody-else@example.org"]);
            connect_back(arg, requester, "external_rejected_by_allowlist");
        }
        "external-unknown-id" => report_disconnect(
            runtime::connect_external("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &ConnectInfo::new()),
            requester,
            "external_unknown_id",
        ),
        "external-malformed-id" => report_disconnect(
            runtime::connect_external("not an id!", &ConnectInfo::new()),
            requester,
            "external_malformed_id",
        ),
        "external-gecko-style-id" => report_disconnect(
            runtime::connect_external("nonexistent@example.org", &ConnectInfo::new()),
            requester,
            "external_gecko_style_unknown_id",
        ),
        "external-peer-disconnects" => {
            match runtime::connect_external(arg, &ConnectInfo::named("from-demo")) {
                Ok(port) => {
                    let _ = port.post(&object(&[("cmd", "disconnect".into())]));
                    report_disconnect(Ok(port), requester, "external_peer_disconnects");
                }
                Err(err) => reply(
                    &requester,
                    "external_peer_disconnects",
                    format!("err:{}", err.kind()),
                ),
            }
        }
        _ => return false,
    }
    true
}

/// Demo → peer: a greeting comes back echoed, with the caller id the peer saw.
fn round_trip(peer: &str, requester: Port) {
    let port = match runtime::connect_external(peer, &ConnectInfo::named("from-demo")) {
        Ok(port) => port,
        Err(err) => {
            return reply(
                &requester,
                "external_round_trip",
                format!("err:{}", err.kind()),
            )
        }
    };
    let closing = port.clone();
    let on_message = port
        .on_message(move |message| {
            reply(
                &requester,
                "external_round_trip",
                string(&message, "echo").unwrap_or_default(),
            );
            let caller = string(&message, "caller");
            let seen = if caller.is_some() && caller == runtime_id() {
                "self".to_owned()
            } else {
                format!("{caller:?}")
            };
            reply(&requester, "external_peer_sees_caller_id", seen);
            reply(
                &requester,
                "external_port_name_at_peer",
                string(&message, "name").unwrap_or_default(),
            );
            let _ = closing.disconnect();
        })
        .into();
    let _ = port.post(&object(&[("greeting", "hello peer".into())]));
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: None,
    });
}

/// Demo → peer → (peer calls back) → demo's allowlisted onConnectExternal. The peer tells us over
/// the first port what its call back saw: our welcome, or its disconnect.
fn connect_back(peer: &str, requester: Port, key: &'static str) {
    let port = match runtime::connect_external(peer, &ConnectInfo::named("from-demo")) {
        Ok(port) => port,
        Err(err) => return reply(&requester, key, format!("err:{}", err.kind())),
    };
    let on_message = port
        .on_message(move |message| {
            let Some(saw) = string(&message, "peer_saw") else {
                return;
            };
            let (from, value) = if key == "external_rejected_by_allowlist" {
                allow(&PEER_IDS);
                (with(|ext| ext.rejected_from.take()), saw)
            } else {
                (with(|ext| ext.accepted_from.take()), saw)
            };
            reply(&requester, key, value);
            reply(&requester, &format!("{key}_sender"), who(from));
        })
        .into();
    let on_disconnect = Some(
        port.on_disconnect(|why| crate::js::log(&format!("peer port closed: {}", reason(&why)))),
    );
    let _ = port.post(&object(&[("cmd", "connect-back".into())]));
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: on_disconnect,
    });
}
