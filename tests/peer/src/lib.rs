//! The peer extension: answers ports from other extensions (`runtime.onConnectExternal`), typed.
//!
//! On a port from another extension it
//! - echoes `{greeting}` as `{echo, caller: sender.id, name: port.name}`;
//! - on `{cmd: "connect-back"}` opens a port back to the caller with `runtime::connect_external`,
//!   and reports over the first port what that port saw: `{peer_saw: <greeting> | "disconnected:<why>"}`;
//! - on `{cmd: "disconnect"}` disconnects.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use webext_port::{runtime, ConnectInfo, Disconnect, Port, TypedPort};

/// What the demo sends (see `demo/src/external.rs`).
#[derive(Deserialize, Debug, Default)]
struct FromDemo {
    greeting: Option<String>,
    cmd: Option<String>,
}

/// What the peer answers; absent fields are left out.
#[derive(Serialize, Debug, Default)]
struct ToDemo {
    #[serde(skip_serializing_if = "Option::is_none")]
    echo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_saw: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    greeting: Option<String>,
}

type Demo = TypedPort<FromDemo, ToDemo>;

fn why(reason: &Disconnect) -> String {
    reason
        .error()
        .map_or("clean".to_owned(), |e| format!("err:{}", e.kind()))
}

/// Starts the peer (external ports that woke it are held by the library and handed over).
#[wasm_bindgen]
pub fn start_peer() {
    if let Ok(listener) = runtime::OnConnect::new().external().listen(connected) {
        // For as long as the peer's background runs.
        listener.forget();
    }
}

fn connected(port: Port) {
    let caller = port.sender().and_then(|s| s.id);
    let name = port.name().to_owned();
    let demo: Demo = port.typed();
    let replies = demo.clone();
    // Lives until the port disconnects (then it is freed).
    demo.on_message(move |message| {
        let Ok(message) = message else { return };
        if let Some(greeting) = message.greeting {
            let _ = replies.send(&ToDemo {
                echo: Some(greeting),
                caller: caller.clone(),
                name: Some(name.clone()),
                ..ToDemo::default()
            });
        } else if message.cmd.as_deref() == Some("disconnect") {
            let _ = replies.disconnect();
        } else if message.cmd.as_deref() == Some("connect-back") {
            if let Some(caller) = &caller {
                connect_back(caller, replies.clone());
            }
        }
    })
    .forget();
}

fn saw(first: &Demo, what: String) {
    let _ = first.send(&ToDemo {
        peer_saw: Some(what),
        ..ToDemo::default()
    });
}

fn connect_back(caller: &str, first: Demo) {
    let port: Demo = match runtime::connect_external(caller, &ConnectInfo::named("from-peer")) {
        Ok(port) => port.typed(),
        Err(err) => return saw(&first, format!("err:{}", err.kind())),
    };
    let forward = first.clone();
    port.on_message(move |message| {
        let greeting = message.ok().and_then(|m| m.greeting).unwrap_or_default();
        saw(&forward, greeting);
    })
    .forget();
    port.on_disconnect(move |reason| saw(&first, format!("disconnected:{}", why(&reason))));
    let _ = port.send(&ToDemo {
        greeting: Some("hello demo".to_owned()),
        ..ToDemo::default()
    });
}
