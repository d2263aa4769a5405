//! The peer extension: answers ports from other extensions (`runtime.onConnectExternal`).
//!
//! On a port from another extension it
//! - echoes `{greeting}` as `{echo, caller: sender.id, name: port.name}`;
//! - on `{cmd: "connect-back"}` opens a port back to the caller with `runtime::connect_external`,
//!   and reports over the first port what that port saw: `{peer_saw: <greeting> | "disconnected:<why>"}`;
//! - on `{cmd: "disconnect"}` disconnects.

use js_sys::Reflect;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use webext_port::{
    runtime, ConnectInfo, ConnectListener, Disconnect, DisconnectListener, MessageListener, Port,
};

#[derive(Default)]
struct Peer {
    listener: Option<ConnectListener>,
    /// Ports and the guards that keep their listeners, until they close.
    ports: Vec<(Port, Option<MessageListener>, Option<DisconnectListener>)>,
}

thread_local! {
    static STATE: RefCell<Peer> = RefCell::new(Peer::default());
}

fn keep(
    port: Port,
    on_message: Option<MessageListener>,
    on_disconnect: Option<DisconnectListener>,
) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.ports.retain(|(p, _, _)| p.is_connected());
        s.ports.push((port, on_message, on_disconnect));
    });
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

fn string(value: &JsValue, key: &str) -> Option<String> {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()?
        .as_string()
}

fn why(reason: &Disconnect) -> String {
    reason
        .error()
        .map_or("clean".to_owned(), |e| format!("err:{}", e.kind()))
}

/// Starts the peer (external ports that woke it are held by the library and handed over).
#[wasm_bindgen]
pub fn start_peer() {
    if let Ok(listener) = runtime::OnConnect::new().external().listen(connected) {
        STATE.with(|s| s.borrow_mut().listener = Some(listener));
    }
}

fn connected(port: Port) {
    let caller = port.sender().and_then(|s| s.id);
    let replies = port.clone();
    let on_message = port.on_message(move |message| {
        if let Some(greeting) = string(&message, "greeting") {
            let caller = caller.clone().map_or(JsValue::NULL, JsValue::from);
            let name = JsValue::from(replies.name());
            let _ = replies.post(&object(&[
                ("echo", greeting.into()),
                ("caller", caller),
                ("name", name),
            ]));
        } else if string(&message, "cmd").as_deref() == Some("disconnect") {
            let _ = replies.disconnect();
        } else if string(&message, "cmd").as_deref() == Some("connect-back") {
            if let Some(caller) = &caller {
                connect_back(caller, replies.clone());
            }
        }
    });
    keep(port, Some(on_message), None);
}

fn connect_back(caller: &str, first: Port) {
    let port = match runtime::connect_external(caller, &ConnectInfo::named("from-peer")) {
        Ok(port) => port,
        Err(err) => {
            let _ = first.post(&object(&[(
                "peer_saw",
                format!("err:{}", err.kind()).into(),
            )]));
            return;
        }
    };
    let forward = first.clone();
    let on_message = port
        .on_message(move |message| {
            let greeting = string(&message, "greeting").unwrap_or_default();
            let _ = forward.post(&object(&[("peer_saw", greeting.into())]));
        })
        .into();
    let on_disconnect = port.on_disconnect(move |reason| {
        let _ = first.post(&object(&[(
            "peer_saw",
            format!("disconnected:{}", why(&reason)).into(),
        )]));
    });
    let _ = port.post(&object(&[("greeting", "hello demo".into())]));
    keep(port, on_message, Some(on_disconnect));
}
