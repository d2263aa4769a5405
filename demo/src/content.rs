//! The content script: connects with name "port-from-cs" and greets (the MDN example), answers
//! `tabs.connect` from the background, and runs the test commands clicked in the page.

use crate::js::{after_first_raw_message, log, object, outcome, quiet_period, reason, string};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use webext_port::{
    runtime, ConnectInfo, ConnectListener, DisconnectListener, MessageListener, Port,
};

#[derive(Default)]
struct Content {
    port: Option<Port>,
    guards: Vec<MessageListener>,
    disconnect_guards: Vec<DisconnectListener>,
    on_connect: Option<ConnectListener>,
    on_click: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    static STATE: RefCell<Content> = RefCell::new(Content::default());
}

fn with<R>(f: impl FnOnce(&mut Content) -> R) -> R {
    STATE.with(|state| f(&mut state.borrow_mut()))
}

/// Shows an observation in the page as `<output id="r-KEY">VALUE</output>`.
pub(crate) fn report(key: &str, value: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let id = format!("r-{key}");
    let element = document.get_element_by_id(&id).or_else(|| {
        let element = document.create_element("output").ok()?;
        element.set_id(&id);
        document.body()?.append_child(&element).ok()?;
        Some(element)
    });
    if let Some(element) = element {
        element.set_text_content(Some(value));
    }
}

pub fn start() {
    let Some(port) = connect_or_report("port-from-cs", "connect") else {
        return;
    };
    let _ = port.post(&object(&[("greeting", "hello from content script".into())]));
    let on_message = port.on_message(|message| {
        if let Some(greeting) = string(&message, "greeting") {
            log(&format!(
                "In content script, received message from background script: {greeting}"
            ));
            let key = if greeting == "they clicked the button!" {
                "broadcast"
            } else {
                "cs_greeting_reply"
            };
            report(key, &greeting);
        } else if let (Some(key), Some(value)) =
            (string(&message, "reply"), string(&message, "value"))
        {
            report(&key, &value);
        }
    });
    crate::lifecycle::watch_main_port(&port);
    let on_connect = runtime::on_connect(from_background);
    with(|cs| {
        cs.guards.push(on_message);
        cs.on_connect = on_connect.ok();
        cs.port = Some(port);
    });
    listen_for_clicks();
    report("extension_page_url", &extension_url("probe.html"));
    report("ready", "yes");
}

/// `runtime.getURL(path)`: where the test opens the demo's extension page.
fn extension_url(path: &str) -> String {
    let global = crate::js::global_this();
    ["chrome", "browser"]
        .iter()
        .filter_map(|ns| js_sys::Reflect::get(&global, &(*ns).into()).ok())
        .filter_map(|ns| js_sys::Reflect::get(&ns, &"runtime".into()).ok())
        .filter_map(|rt| {
            let get_url = js_sys::Reflect::get(&rt, &"getURL".into()).ok()?;
            let get_url = get_url.dyn_into::<js_sys::Function>().ok()?;
            get_url.call1(&rt, &path.into()).ok()?.as_string()
        })
        .next()
        .unwrap_or_default()
}

/// Native messaging from a content script: Firefox allows it, Chromium has no connectNative
/// there. Reports the echo ("ping") or the error kind.
fn native_from_content() {
    const KEY: &str = "content_script_connect_native";
    raw_native_from_content();
    let port = match runtime::connect_native("webext_port_test_host") {
        Ok(port) => port,
        Err(err) => return report(KEY, &format!("err:{}", err.kind())),
    };
    let closing = port.clone();
    let guard = port.on_message(move |message| {
        report(KEY, &string(&message, "echo").unwrap_or_default());
        let _ = closing.disconnect();
    });
    let closed = port.on_disconnect(|why| report(KEY, &reason(&why)));
    with(|cs| {
        cs.guards.push(guard);
        cs.disconnect_guards.push(closed);
    });
    let _ = port.post(&object(&[("cmd", "echo".into()), ("value", "ping".into())]));
}

/// The browser's own `runtime.connectNative` in this content script, without the library:
/// "no connectNative", or how its port ended ("closed: <message>") or what it echoed.
fn raw_native_from_content() {
    use wasm_bindgen::JsValue;
    const KEY: &str = "content_script_connect_native_browser";
    let global = crate::js::global_this();
    let runtime = ["browser", "chrome"]
        .iter()
        .filter_map(|ns| js_sys::Reflect::get(&global, &(*ns).into()).ok())
        .filter(|ns| ns.is_object())
        .filter_map(|ns| js_sys::Reflect::get(&ns, &"runtime".into()).ok())
        .next()
        .unwrap_or(JsValue::UNDEFINED);
    let connect = js_sys::Reflect::get(&runtime, &"connectNative".into()).unwrap_or_default();
    let Some(connect) = connect.dyn_ref::<js_sys::Function>() else {
        return report(KEY, "no connectNative");
    };
    let raw = match connect.call1(&runtime, &"webext_port_test_host".into()) {
        Ok(raw) => raw,
        Err(thrown) => return report(KEY, &format!("threw: {thrown:?}")),
    };
    // Wrapped only to listen and clean up; what is reported is the raw port's own `error`.
    let Ok(port) = Port::from_raw(raw.clone()) else {
        return report(KEY, "not a port");
    };
    let guard =
        port.on_message(|message| report(KEY, &string(&message, "echo").unwrap_or_default()));
    let closed = port.on_disconnect(move |_| {
        let error = js_sys::Reflect::get(&raw, &"error".into()).unwrap_or_default();
        let words = string(&error, "message").unwrap_or_else(|| "no error".to_owned());
        report(KEY, &format!("closed: {words}"));
    });
    with(|cs| {
        cs.guards.push(guard);
        cs.disconnect_guards.push(closed);
    });
    let _ = port.post(&object(&[("cmd", "echo".into()), ("value", "ping".into())]));
}

/// Exactly 64 MiB of JSON (a string of limit - 2 characters plus its quotes) crosses to the
/// background in both browsers; the background answers with how many characters arrived.
fn exactly_64_mib() {
    let Some(port) = connect_or_report("big", "post_exactly_64_mib") else {
        return;
    };
    let guard = port.on_message(|message| {
        let chars = js_sys::Reflect::get(&message, &"chars".into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(-1.0);
        report("post_exactly_64_mib", &format!("{chars} chars"));
    });
    with(|cs| cs.guards.push(guard));
    let at_limit = js_sys::JsString::from("x").repeat(webext_port::MESSAGE_LIMIT as i32 - 2);
    if let Err(err) = port.post(&at_limit.into()) {
        report("post_exactly_64_mib", &format!("err:{}", err.kind()));
    }
}

/// Opens a port named `name`, or reports the error under `key`.
fn connect_or_report(name: &str, key: &str) -> Option<Port> {
    match runtime::connect(&ConnectInfo::named(name)) {
        Ok(port) => Some(port),
        Err(err) => {
            report(key, &format!("err:{}", err.kind()));
            None
        }
    }
}

fn main_port() -> Option<Port> {
    with(|cs| cs.port.clone())
}

/// The MDN click handler, plus the test commands (`<button data-cmd=…>`).
fn listen_for_clicks() {
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let Some(port) = main_port() else { return };
        let _ = port.post(&object(&[("greeting", "they clicked the page!".into())]));
        let target = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        if let Some(cmd) = target.as_ref().and_then(|e| e.get_attribute("data-cmd")) {
            let arg = target
                .and_then(|e| e.get_attribute("data-arg"))
                .unwrap_or_default();
            run(&cmd, &arg, &port);
        }
    });
    if body
        .add_event_listener_with_callback("click", closure.as_ref().unchecked_ref())
        .is_ok()
    {
        with(|cs| cs.on_click = Some(closure));
    }
}

fn run(cmd: &str, arg: &str, port: &Port) {
    if crate::lifecycle::run(cmd, arg) {
        return;
    }
    match cmd {
        "more-unserializable" => more_unserializable(port),
        "burst" => burst(),
        "late-listener" => late_listener(),
        "drop-listener" => drop_listener(),
        "post-inside-on-disconnect" => post_inside_on_disconnect(),
        "double-disconnect" => local_disconnect("double", 2, "double_disconnect"),
        "default-name" => {
            let result = runtime::connect(&ConnectInfo::new()).map(drop);
            if result.is_err() {
                report("runtime_connect_default_name", &outcome(&result));
            }
        }
        "post-after-disconnect" => {
            let result = runtime::connect(&ConnectInfo::named("ephemeral")).and_then(|p| {
                p.disconnect()?;
                p.post(&object(&[("greeting", "too late".into())]))
            });
            report("post_after_own_disconnect_content", &outcome(&result));
        }
        "unserializable" => unserializable(port),
        "remote-disconnect" => remote_disconnect(),
        "local-disconnect" => local_disconnect("watch-me", 1, "local_disconnect"),
        "context-probe" => report(
            "context_content_script",
            &crate::contexts::probe(true, true),
        ),
        "post-over-64mib" => {
            // One byte of JSON over the limit: refused before the browser sees it, in both.
            let huge = js_sys::JsString::from("x").repeat(webext_port::MESSAGE_LIMIT as i32 - 1);
            report("post_over_64_mib", &outcome(&port.post(&huge.into())));
        }
        "post-exactly-64mib" => exactly_64_mib(),
        "native-from-content" => native_from_content(),
        // Everything else is the background's to answer.
        other => {
            if let Err(err) = port.post(&object(&[("cmd", other.into()), ("arg", arg.into())])) {
                report("command", &format!("err:{}", err.kind()));
            }
        }
    }
}

/// Values Chromium and Firefox disagree on must fail the same way in both.
fn unserializable(port: &Port) {
    let function = Closure::<dyn Fn()>::new(|| {});
    let nested_function = object(&[("f", function.as_ref().clone())]);
    report(
        "post_nested_function",
        &outcome(&port.post(&nested_function)),
    );
    report(
        "post_bigint",
        &outcome(&port.post(&object(&[("b", js_sys::BigInt::from(1u32).into())]))),
    );
    let cyclic = object(&[]);
    let _ = js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic);
    report("post_cyclic", &outcome(&port.post(&cyclic)));
    // The port still works after the rejections.
    report(
        "post_after_rejections",
        &outcome(&port.post(&object(&[("greeting", "still here".into())]))),
    );
}

/// The background disconnects "disconnect-me" at once: our on_disconnect must fire exactly once.
/// Its first call is the completion signal; a quiet period after it catches a late duplicate.
fn remote_disconnect() {
    let Some(port) = connect_or_report("disconnect-me", "remote_disconnect_content") else {
        return;
    };
    let fired = Rc::new(Cell::new(0));
    let last = Rc::new(RefCell::new(String::new()));
    let (count, why) = (fired.clone(), last.clone());
    let after = port.clone();
    let guard = port.on_disconnect(move |reason_| {
        count.set(count.get() + 1);
        *why.borrow_mut() = reason(&reason_);
        if count.get() > 1 {
            return;
        }
        let (fired, last, port) = (fired.clone(), last.clone(), after.clone());
        wasm_bindgen_futures::spawn_local(async move {
            quiet_period().await;
            report(
                "remote_disconnect_content",
                &format!("{} x{}", last.borrow(), fired.get()),
            );
            let result = port.post(&object(&[("greeting", "anyone?".into())]));
            report("post_after_remote_disconnect", &outcome(&result));
        });
    });
    with(|cs| cs.disconnect_guards.push(guard));
}

/// We disconnect a port named `name` (`times` times) once the background watches it; the
/// background reports how many disconnects it saw on ports of that name (after its first one and
/// a quiet period).
fn local_disconnect(name: &'static str, times: usize, key: &'static str) {
    let Some(port) = connect_or_report(name, key) else {
        return;
    };
    let closing = port.clone();
    let guard = port.on_message(move |_watching| {
        let results: Vec<String> = (0..times).map(|_| outcome(&closing.disconnect())).collect();
        report(key, &results.join(" "));
    });
    with(|cs| cs.guards.push(guard));
}

/// 1000 numbered messages each way on a fresh port: all must arrive, in order.
fn burst() {
    const COUNT: u32 = 1000;
    let Some(port) = connect_or_report("burst", "burst_background_to_content") else {
        return;
    };
    let seen = Rc::new(Cell::new(0u32));
    let guard = port.on_message(move |message| {
        let seq = js_sys::Reflect::get(&message, &"seq".into())
            .ok()
            .and_then(|v| v.as_f64());
        if let Some(report_of_background) = string(&message, "received") {
            report("burst_content_to_background", &report_of_background);
        } else if seq == Some(f64::from(seen.get())) {
            seen.set(seen.get() + 1);
            if seen.get() == COUNT {
                report("burst_background_to_content", &format!("{COUNT} in order"));
            }
        } else {
            report(
                "burst_background_to_content",
                &format!("out of order at {}", seen.get()),
            );
        }
    });
    with(|cs| cs.guards.push(guard));
    let sent = (0..COUNT).all(|seq| port.post(&object(&[("seq", seq.into())])).is_ok());
    let _ = port.post(&object(&[("done", sent.into())]));
}

/// More values that JSON and structured clone deliver differently: refused in both browsers.
fn more_unserializable(port: &Port) {
    let map = js_sys::Map::new();
    map.set(&"k".into(), &1.into());
    let cases: [(&str, wasm_bindgen::JsValue); 5] = [
        ("post_map", map.into()),
        ("post_undefined", wasm_bindgen::JsValue::UNDEFINED),
        ("post_nan", f64::NAN.into()),
        ("post_date", js_sys::Date::new_0().into()),
        (
            "post_array_with_undefined",
            js_sys::Array::of1(&wasm_bindgen::JsValue::UNDEFINED).into(),
        ),
    ];
    for (key, value) in cases {
        report(key, &outcome(&port.post(&value)));
    }
    // An object property holding undefined reads the same in both browsers: allowed.
    let plain = object(&[
        ("greeting", "undefined inside".into()),
        ("absent", wasm_bindgen::JsValue::UNDEFINED),
    ]);
    report(
        "post_object_with_undefined_property",
        &outcome(&port.post(&plain)),
    );
}

/// The background posts "early" the moment it receives the port; we add on_message only after
/// that message has reached this content script (seen by a raw JS listener), and must still get it
/// (the browser alone would have dropped it: nobody was listening through the library).
fn late_listener() {
    let Some(port) = connect_or_report("late-listener", "message_before_listener_is_kept") else {
        return;
    };
    let late = port.clone();
    after_first_raw_message(port.raw(), move || {
        let guard = late.on_message(|message| {
            report(
                "message_before_listener_is_kept",
                &string(&message, "greeting").unwrap_or_default(),
            );
        });
        with(|cs| cs.guards.push(guard));
    });
}

/// Listener A is dropped at once, listener B stays: the background's two messages reach B only.
/// B's second message is the completion signal; a quiet period after it catches a late one.
fn drop_listener() {
    let Some(port) = connect_or_report("two-messages", "dropped_listener_receives_nothing") else {
        return;
    };
    let (a, b) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let count_a = a.clone();
    drop(port.on_message(move |_| count_a.set(count_a.get() + 1)));
    let (count_b, closing) = (b.clone(), port.clone());
    let guard = port.on_message(move |_| {
        count_b.set(count_b.get() + 1);
        if count_b.get() != 2 {
            return;
        }
        let (a, b, port) = (a.clone(), count_b.clone(), closing.clone());
        wasm_bindgen_futures::spawn_local(async move {
            quiet_period().await;
            report(
                "dropped_listener_receives_nothing",
                &format!("A={} B={}", a.get(), b.get()),
            );
            let _ = port.disconnect();
        });
    });
    with(|cs| cs.guards.push(guard));
    let _ = port.post(&object(&[("cmd", "send-two".into())]));
}

/// Posting from inside on_disconnect (the port is already gone) is an error, not a throw.
fn post_inside_on_disconnect() {
    let Some(port) = connect_or_report("disconnect-me", "post_inside_on_disconnect") else {
        return;
    };
    let inside = port.clone();
    let guard = port.on_disconnect(move |_| {
        let result = inside.post(&object(&[("greeting", "from inside".into())]));
        report("post_inside_on_disconnect", &outcome(&result));
    });
    with(|cs| cs.disconnect_guards.push(guard));
}

/// `runtime.onConnect` in the content script: ports the background opened with `tabs.connect`.
fn from_background(port: Port) {
    let name = if port.name().is_empty() {
        "\"\"".to_owned()
    } else {
        port.name().to_owned()
    };
    if port.name() != "port-from-bg" {
        report("tabs_connect_default_name", &name);
        let _ = port.disconnect();
        return;
    }
    let _ = port.post(&object(&[(
        "greeting",
        "hi background, from content".into(),
    )]));
    let guard = port.on_message(|message| {
        if let Some(greeting) = string(&message, "greeting") {
            report("content_received_from_background", &greeting);
        }
    });
    with(|cs| cs.guards.push(guard));
}
