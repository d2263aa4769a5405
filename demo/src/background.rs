//! The background script: stores each content script's port by tab id, replies, logs, broadcasts
//! on `action.onClicked`, connects back with `tabs.connect`, and answers the test commands.

use crate::js::{log, object, outcome, reason, string};
use js_sys::Reflect;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use webext_port::{runtime, tabs, ConnectListener, DisconnectListener, MessageListener, Port};

/// A port together with the guards that keep its listeners alive.
pub(crate) struct Connection {
    pub port: Port,
    /// Held only to keep the listener registered.
    pub _on_message: Option<MessageListener>,
    /// Held only to keep the listener registered.
    pub _on_disconnect: Option<DisconnectListener>,
}

#[derive(Default)]
struct Background {
    /// "port-from-cs" ports by tab id (MDN: `ports[p.sender.tab.id] = p`).
    ports: HashMap<i32, Connection>,
    /// Distinct greetings received from each tab, in arrival order.
    received: HashMap<i32, Vec<String>>,
    /// Ports this script opened with `tabs.connect`, kept until they close.
    opened: Vec<Connection>,
    /// What each watched port's on_disconnect reported, by port name.
    watched: HashMap<String, Vec<String>>,
    on_connect: Option<ConnectListener>,
    on_clicked: Option<Closure<dyn FnMut(JsValue)>>,
}

thread_local! {
    static STATE: RefCell<Background> = RefCell::new(Background::default());
}

fn with<R>(f: impl FnOnce(&mut Background) -> R) -> R {
    STATE.with(|state| f(&mut state.borrow_mut()))
}

pub fn start() {
    crate::external::listen();
    match runtime::OnConnect::new().listen(connected) {
        Ok(listener) => with(|bg| bg.on_connect = Some(listener)),
        Err(err) => log(&format!("cannot listen for connections: {err}")),
    }
    listen_for_clicks();
}

/// `action.onClicked` → broadcast (the MDN browserAction example; MV3 calls it `action`).
fn listen_for_clicks() {
    let api = ["chrome", "browser"]
        .iter()
        .map(|ns| {
            Reflect::get(&js_sys::global(), &JsValue::from_str(ns)).unwrap_or(JsValue::UNDEFINED)
        })
        .find(|ns| ns.is_object());
    let Some(event) = api
        .and_then(|ns| Reflect::get(&ns, &"action".into()).ok())
        .and_then(|action| Reflect::get(&action, &"onClicked".into()).ok())
    else {
        return;
    };
    let closure = Closure::<dyn FnMut(JsValue)>::new(|_tab: JsValue| {
        broadcast();
    });
    let add = Reflect::get(&event, &"addListener".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(add) = add {
        if add.call1(&event, closure.as_ref()).is_ok() {
            with(|bg| bg.on_clicked = Some(closure));
        }
    }
}

/// `runtime.onConnect`: every port from a content script.
fn connected(port: Port) {
    if crate::lifecycle::connected(&port) {
        return;
    }
    match port.name() {
        "port-from-cs" => store_content_port(port),
        "disconnect-me" => {
            let _ = port.disconnect();
        }
        "watch-me" | "double" => watch(port),
        "late-listener" => {
            let _ = port.post(&object(&[("greeting", "early".into())]));
            keep_opened(Connection {
                port,
                _on_message: None,
                _on_disconnect: None,
            });
        }
        "two-messages" => two_messages(port),
        "big" => {
            // Answers how many characters the (64 MiB) string had.
            let replies = port.clone();
            let on_message = port
                .on_message(move |message| {
                    let chars = message
                        .dyn_ref::<js_sys::JsString>()
                        .map_or(-1.0, |s| f64::from(s.length()));
                    let _ = replies.post(&object(&[("chars", chars.into())]));
                })
                .into();
            keep_opened(Connection {
                port,
                _on_message: on_message,
                _on_disconnect: None,
            });
        }
        "burst" => burst(port),
        "" => {
            let tab = port.sender().and_then(|s| s.tab).and_then(|t| t.id);
            let main = with(|bg| tab.and_then(|t| bg.ports.get(&t)).map(|c| c.port.clone()));
            if let Some(main) = main {
                reply(&main, "runtime_connect_default_name", "\"\"");
            }
            let _ = port.disconnect();
        }
        other => log(&format!("ignoring a port named {other:?}")),
    }
}

fn store_content_port(port: Port) {
    let Some(tab_id) = port.sender().and_then(|s| s.tab).and_then(|t| t.id) else {
        log("a port-from-cs port without a tab: ignored");
        return;
    };
    let _ = port.post(&object(&[("greeting", "hi there content script!".into())]));
    let replies = port.clone();
    let on_message = port
        .on_message(move |message| {
            if let Some(greeting) = string(&message, "greeting") {
                log(&format!(
                    "In background script, received message from content script: {greeting}"
                ));
                with(|bg| {
                    let seen = bg.received.entry(tab_id).or_default();
                    if !seen.contains(&greeting) {
                        seen.push(greeting);
                    }
                });
            } else if let Some(cmd) = string(&message, "cmd") {
                let arg = string(&message, "arg").unwrap_or_default();
                command(&cmd, &arg, tab_id, &replies);
            }
        })
        .into();
    let id = port.id();
    let on_disconnect = port.on_disconnect(move |_| {
        // Drop the stored connection once this dispatch is over, unless a newer port from the same
        // tab replaced it (the callback outlives a replaced entry: it belongs to the connection).
        wasm_bindgen_futures::spawn_local(async move {
            with(|bg| {
                if bg.ports.get(&tab_id).is_some_and(|c| c.port.id() == id) {
                    bg.ports.remove(&tab_id);
                }
            });
        });
    });
    with(|bg| {
        bg.ports.insert(
            tab_id,
            Connection {
                port,
                _on_message: on_message,
                _on_disconnect: Some(on_disconnect),
            },
        )
    });
}

/// On `{cmd: "send-two"}`, posts two messages.
fn two_messages(port: Port) {
    let sender = port.clone();
    let on_message = port
        .on_message(move |_| {
            for n in 1..=2 {
                let _ = sender.post(&object(&[("n", n.into())]));
            }
        })
        .into();
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: None,
    });
}

/// Counts the content script's numbered messages; on `{done}` reports whether all arrived in
/// order, then sends 1000 numbered messages back.
fn burst(port: Port) {
    let expected = std::rc::Rc::new(std::cell::Cell::new(Some(0u32)));
    let replies = port.clone();
    let on_message = port
        .on_message(move |message| {
            let seq = js_sys::Reflect::get(&message, &"seq".into())
                .ok()
                .and_then(|v| v.as_f64());
            match (seq, expected.get()) {
                (Some(seq), Some(want)) if seq == f64::from(want) => expected.set(Some(want + 1)),
                (Some(_), _) => expected.set(None),
                (None, got) => {
                    let summary =
                        got.map_or("out of order".to_owned(), |n| format!("{n} in order"));
                    let _ = replies.post(&object(&[("received", summary.into())]));
                    for seq in 0..1000u32 {
                        let _ = replies.post(&object(&[("seq", seq.into())]));
                    }
                }
            }
        })
        .into();
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: None,
    });
}

/// Records every disconnect of a watched port under its name. The first one is the completion
/// signal: after a quiet period (to catch a late duplicate) the count goes to the tab's main port
/// as `watched_<name>`.
fn watch(port: Port) {
    let name = port.name().to_owned();
    let tab = port.sender().and_then(|s| s.tab).and_then(|t| t.id);
    let guard = port.on_disconnect(move |why| {
        let first = with(|bg| {
            let seen = bg.watched.entry(name.clone()).or_default();
            seen.push(reason(&why));
            seen.len() == 1
        });
        if !first {
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            crate::js::quiet_period().await;
            let watched = with(|bg| bg.watched.remove(&name).unwrap_or_default());
            let main = with(|bg| tab.and_then(|t| bg.ports.get(&t)).map(|c| c.port.clone()));
            if let Some(main) = main {
                let value = format!("{} x{}", watched.join(","), watched.len());
                reply(&main, &format!("watched_{name}"), value);
            }
        });
    });
    let _ = port.post(&object(&[("greeting", "watching".into())]));
    keep_opened(Connection {
        port,
        _on_message: None,
        _on_disconnect: Some(guard),
    });
}

/// Keeps a port we opened (and its guards) until it is closed; closed ones are let go.
pub(crate) fn keep_opened(connection: Connection) {
    with(|bg| {
        bg.opened.retain(|c| c.port.is_connected());
        bg.opened.push(connection);
    });
}

/// Answers a test command over the content script's port: `{reply: key, value}`.
pub(crate) fn reply(port: &Port, key: &str, value: impl Into<String>) {
    let value = value.into();
    if let Err(err) = port.post(&object(&[("reply", key.into()), ("value", value.into())])) {
        log(&format!("cannot reply {key}: {err}"));
    }
}

/// Sends the MDN "they clicked the button!" to every stored content-script port.
fn broadcast() -> usize {
    let ports: Vec<Port> = with(|bg| bg.ports.values().map(|c| c.port.clone()).collect());
    let message = object(&[("greeting", "they clicked the button!".into())]);
    ports
        .iter()
        .filter(|port| port.post(&message).is_ok())
        .count()
}

fn command(cmd: &str, arg: &str, tab_id: i32, requester: &Port) {
    if crate::native::command(cmd, requester) || crate::external::command(cmd, arg, requester) {
        return;
    }
    match cmd {
        "port-count" => reply(
            requester,
            "stored_ports",
            with(|bg| bg.ports.len()).to_string(),
        ),
        "received" => {
            let seen = with(|bg| bg.received.get(&tab_id).cloned().unwrap_or_default());
            reply(requester, "bg_received", seen.join("|"));
        }
        "sender" => reply(requester, "sender_fields", describe_sender(requester)),
        "open-probe-page" => open_probe_page(),
        "bg-context-probe" => reply(
            requester,
            "context_background",
            crate::contexts::probe(true, true),
        ),
        "broadcast" => {
            let sent = broadcast();
            reply(requester, "broadcast_sent", sent.to_string());
        }
        "tabs-connect-self" => connect_back(tab_id, requester.clone()),
        "tabs-connect-default-name" => {
            match tabs::connect(tab_id, &tabs::ConnectInfo::new().frame_id(0)) {
                Ok(port) => keep_opened(Connection {
                    port,
                    _on_message: None,
                    _on_disconnect: None,
                }),
                Err(err) => reply(
                    requester,
                    "tabs_connect_default_name",
                    format!("err:{}", err.kind()),
                ),
            }
        }
        "tabs-connect-missing" => report_disconnect(
            tabs::connect(999_999, &tabs::ConnectInfo::named("nobody")),
            requester.clone(),
            "tabs_connect_missing_tab",
        ),
        "tabs-connect-negative" => {
            let result = tabs::connect(-1, &tabs::ConnectInfo::new()).map(|_| ());
            reply(requester, "tabs_connect_negative_tab", outcome(&result));
        }
        "bg-post-after-disconnect" => {
            let result =
                tabs::connect(tab_id, &tabs::ConnectInfo::named("bg-ephemeral")).and_then(|port| {
                    port.disconnect()?;
                    port.post(&object(&[("greeting", "too late".into())]))
                });
            reply(
                requester,
                "post_after_own_disconnect_background",
                outcome(&result),
            );
        }
        other => reply(requester, "unknown_command", other),
    }
}

/// `tabs.create({url: "probe.html"})`: the extension page the context test reads.
fn open_probe_page() {
    let global = js_sys::global();
    let opened = ["chrome", "browser"].iter().find_map(|ns| {
        let ns = Reflect::get(&global, &JsValue::from_str(ns)).ok()?;
        let tabs = Reflect::get(&ns, &"tabs".into()).ok()?;
        let create = Reflect::get(&tabs, &"create".into()).ok()?;
        let create = create.dyn_into::<js_sys::Function>().ok()?;
        let options = object(&[("url", "probe.html".into())]);
        create.call1(&tabs, &options).ok()
    });
    if opened.is_none() {
        log("cannot open probe.html");
    }
}

/// What the background sees of the content script's `sender`, in a form both browsers share.
fn describe_sender(port: &Port) -> String {
    let Some(sender) = port.sender() else {
        return "no sender".to_owned();
    };
    let own_id = runtime_id();
    let tab = sender.tab.as_ref();
    format!(
        "name={} id={} tab={} frame={} url={} origin={} document_id={}",
        port.name(),
        if sender.id.is_some() && sender.id == own_id {
            "self"
        } else {
            "other"
        },
        if tab.and_then(|t| t.id).is_some() {
            "yes"
        } else {
            "no"
        },
        sender.frame_id.map_or("none".to_owned(), |f| f.to_string()),
        sender
            .url
            .as_deref()
            .and_then(|u| u.split('?').next())
            .unwrap_or("none"),
        sender.origin.as_deref().unwrap_or("none"),
        if sender.document_id.is_some() {
            "yes"
        } else {
            "no"
        },
    )
}

pub(crate) fn runtime_id() -> Option<String> {
    ["chrome", "browser"].iter().find_map(|ns| {
        let ns = Reflect::get(&js_sys::global(), &JsValue::from_str(ns)).ok()?;
        let runtime = Reflect::get(&ns, &"runtime".into()).ok()?;
        Reflect::get(&runtime, &"id".into()).ok()?.as_string()
    })
}

/// `tabs.connect` back to the requesting tab; replies with what the content script answered.
fn connect_back(tab_id: i32, requester: Port) {
    let port = match tabs::connect(
        tab_id,
        &tabs::ConnectInfo::named("port-from-bg").frame_id(0),
    ) {
        Ok(port) => port,
        Err(err) => {
            return reply(
                &requester,
                "tabs_connect_round_trip",
                format!("err:{}", err.kind()),
            )
        }
    };
    let _ = port.post(&object(&[(
        "greeting",
        "hello content script, from background".into(),
    )]));
    let answered = port.clone();
    let on_message = port
        .on_message(move |message| {
            let greeting = string(&message, "greeting").unwrap_or_default();
            reply(&requester, "tabs_connect_round_trip", greeting);
            let _ = answered.disconnect();
        })
        .into();
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: None,
    });
}

/// Replies with how a port we opened was disconnected (e.g. `err:no_receiver`).
pub(crate) fn report_disconnect(
    opened: Result<Port, webext_port::PortError>,
    requester: Port,
    key: &'static str,
) {
    match opened {
        Ok(port) => {
            let guard = port.on_disconnect(move |why| {
                // The browser's own words, for the test log (not compared across browsers).
                let detail = why.error().map_or("", |e| e.message()).to_owned();
                reply(&requester, &format!("{key}_detail"), detail);
                reply(&requester, key, reason(&why));
            });
            keep_opened(Connection {
                port,
                _on_message: None,
                _on_disconnect: Some(guard),
            });
        }
        Err(err) => reply(&requester, key, format!("err:{}", err.kind())),
    }
}
