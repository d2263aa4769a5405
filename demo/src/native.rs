//! Test commands for `runtime.connectNative`, against the workspace's native-host
//! (`webext_port_test_host`, installed by build.sh). Each replies `{reply: key, value}`.

use crate::background::{keep_opened, reply, report_disconnect, Connection};
use crate::js::{object, outcome, reason};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use webext_port::{runtime, Port, MESSAGE_LIMIT};

/// The host's name in its manifests.
pub const HOST: &str = "webext_port_test_host";

/// Runs `cmd` if it is a native one; `false` if it is not.
pub fn command(cmd: &str, requester: &Port) -> bool {
    let requester = requester.clone();
    match cmd {
        "native-echo" => echo(requester),
        "native-burst" => burst(requester),
        "native-not-found" => report_disconnect(
            runtime::connect_native("webext_port_no_such_host"),
            requester,
            "native_host_not_found",
        ),
        "native-invalid-name" => {
            let result = runtime::connect_native("Not A Host!").map(drop);
            reply(&requester, "native_invalid_host_name", outcome(&result));
        }
        "native-exit" => ends_with(requester, "exit", "native_host_exits"),
        "native-crash" => ends_with(requester, "crash", "native_host_crashes"),
        "native-oversize" => ends_with(requester, "oversize", "native_host_sends_over_1mib"),
        "native-invalid-json" => invalid_json(requester),
        "native-too-large" => too_large(requester),
        "native-pid" => pid_then_disconnect(requester),
        _ => return false,
    }
    true
}

fn open(requester: &Port, key: &str) -> Option<Port> {
    match runtime::connect_native(HOST) {
        Ok(port) => Some(port),
        Err(err) => {
            reply(requester, key, format!("err:{}", err.kind()));
            None
        }
    }
}

/// Echo round trip; also reports the port name (the application name in both browsers).
fn echo(requester: Port) {
    let Some(port) = open(&requester, "native_echo") else {
        return;
    };
    reply(&requester, "native_port_name", port.name());
    let closing = port.clone();
    let on_message = port
        .on_message(move |message| {
            let echoed =
                js_sys::Reflect::get(&message, &"echo".into()).unwrap_or(JsValue::UNDEFINED);
            reply(
                &requester,
                "native_echo",
                echoed.as_string().unwrap_or_else(|| format!("{echoed:?}")),
            );
            let _ = closing.disconnect();
        })
        .into();
    let sent = port.post(&object(&[("cmd", "echo".into()), ("value", "ping".into())]));
    if sent.is_ok() {
        keep_opened(Connection {
            port,
            _on_message: on_message,
            _on_disconnect: None,
        });
    }
}

/// The host sends 5 numbered messages: all must arrive, in order.
fn burst(requester: Port) {
    let Some(port) = open(&requester, "native_burst_in_order") else {
        return;
    };
    let seen = Rc::new(RefCell::new(Vec::new()));
    let closing = port.clone();
    let on_message = port
        .on_message(move |message| {
            let n = js_sys::Reflect::get(&message, &"burst".into())
                .ok()
                .and_then(|v| v.as_f64());
            seen.borrow_mut().push(n.map_or(-1, |n| n as i64));
            if seen.borrow().len() == 5 {
                let in_order = *seen.borrow() == [0, 1, 2, 3, 4];
                reply(
                    &requester,
                    "native_burst_in_order",
                    if in_order {
                        "5 in order"
                    } else {
                        "out of order"
                    },
                );
                let _ = closing.disconnect();
            }
        })
        .into();
    let _ = port.post(&object(&[("cmd", "burst".into()), ("count", 5.into())]));
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: None,
    });
}

/// Sends `host_cmd`, after which the host ends the conversation one way or another.
fn ends_with(requester: Port, host_cmd: &str, key: &'static str) {
    let Some(port) = open(&requester, key) else {
        return;
    };
    let _ = port.post(&object(&[("cmd", host_cmd.into())]));
    report_disconnect(Ok(port), requester, key);
}

/// A message over the 64 MiB limit is refused before the browser sees it.
fn too_large(requester: Port) {
    let Some(port) = open(&requester, "native_post_too_large") else {
        return;
    };
    let huge = js_sys::JsString::from("x").repeat(MESSAGE_LIMIT as i32);
    let result = port.post(&huge.into());
    reply(&requester, "native_post_too_large", outcome(&result));
    let _ = port.disconnect();
}

/// Reports the host's pid, then disconnects: the test checks the process is gone.
fn pid_then_disconnect(requester: Port) {
    let Some(port) = open(&requester, "native_host_pid") else {
        return;
    };
    let closing = port.clone();
    let on_message = port
        .on_message(move |message| {
            let pid = js_sys::Reflect::get(&message, &"pid".into())
                .ok()
                .and_then(|v| v.as_f64());
            let _ = closing.disconnect();
            reply(
                &requester,
                "native_host_pid",
                pid.map_or("none".to_owned(), |p| p.to_string()),
            );
            let after = closing.post(&object(&[("cmd", "pid".into())]));
            reply(&requester, "native_post_after_disconnect", outcome(&after));
        })
        .into();
    let _ = port.post(&object(&[("cmd", "pid".into())]));
    let on_disconnect = Some(port.on_disconnect(|why| {
        // Our own disconnect never fires this; a host that died first would.
        crate::js::log(&format!("native host went away first: {}", reason(&why)));
    }));
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: on_disconnect,
    });
}

/// The host sends a frame that is not JSON, then we ask for an echo. Reports the first thing that
/// happens: the port closing (Firefox) or the echo arriving on a port that survived (Chromium).
fn invalid_json(requester: Port) {
    let key = "native_host_sends_invalid_json";
    let Some(port) = open(&requester, key) else {
        return;
    };
    let decided = Rc::new(std::cell::Cell::new(false));
    let (told, first) = (requester.clone(), decided.clone());
    let on_message = port
        .on_message(move |message| {
            if !first.replace(true) {
                // The first message must be the echo: the invalid frame itself must not arrive.
                let text = js_sys::JSON::stringify(&message)
                    .map(String::from)
                    .unwrap_or_default();
                let seen = if text == r#"{"echo":"after"}"# {
                    "message dropped, port open".to_owned()
                } else {
                    format!("delivered {text}")
                };
                reply(&told, key, seen);
            }
        })
        .into();
    let on_disconnect = Some(port.on_disconnect(move |why| {
        if !decided.replace(true) {
            reply(&requester, key, reason(&why));
        }
    }));
    let _ = port.post(&object(&[("cmd", "invalid_json".into())]));
    let _ = port.post(&object(&[
        ("cmd", "echo".into()),
        ("value", "after".into()),
    ]));
    keep_opened(Connection {
        port,
        _on_message: on_message,
        _on_disconnect: on_disconnect,
    });
}
