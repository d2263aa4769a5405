//! The layer-2 harness shared by every wasm test file: bindings to the in-page fakes of each
//! browser (`tests/fakes/extension_fakes.js`), the [`Fake`] guard, and `in_both_browsers!`,
//! which runs one behaviour under the Chromium fake and under the Firefox fake.
#![allow(dead_code, unused_imports, unused_macros)]

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use webext_port::{Disconnect, DisconnectListener, MessageListener, Port, PortError};

pub const NO_RECEIVER: &str = "Could not establish connection. Receiving end does not exist.";

#[wasm_bindgen(module = "/tests/fakes/extension_fakes.js")]
extern "C" {
    #[wasm_bindgen(js_name = installFake)]
    pub fn install_fake(flavor: &str) -> Controller;

    #[wasm_bindgen(js_name = uninstallFake)]
    pub fn uninstall_fake();

    /// A web page an extension lists in `externally_connectable` (Chromium's `chrome.runtime`
    /// with only `connect`/`sendMessage`); returns the controller of the extension behind it.
    #[wasm_bindgen(js_name = installWebPage)]
    pub fn install_web_page() -> Controller;

    #[wasm_bindgen(method, js_name = setFrames)]
    pub fn set_frames(this: &Controller, tab_id: i32, frame_ids: Vec<i32>);

    #[wasm_bindgen(method, getter, js_name = allRemotes)]
    pub fn all_remotes(this: &Controller) -> Vec<Remote>;

    /// Chromium: the extension was reloaded; the library's ports throw from now on.
    #[wasm_bindgen(method, js_name = invalidateContext)]
    pub fn invalidate_context(this: &Controller);

    /// Removes what a content script does not have: `tabs`, `connectNative`, `onConnectExternal`.
    #[wasm_bindgen(method, js_name = becomeContentScript)]
    pub fn become_content_script(this: &Controller);

    /// This page is the background the manifest names (where the startup holder holds ports).
    #[wasm_bindgen(method, js_name = becomeBackground)]
    pub fn become_background(this: &Controller);

    /// `runtime.connect({name})` reaches this page's own `onConnect` (it plays the background).
    #[wasm_bindgen(method, js_name = loopBack)]
    pub fn loop_back(this: &Controller, name: &str);

    /// The background is stopped: its loopback ends go silent, the clients see a clean disconnect.
    #[wasm_bindgen(method, js_name = killBackground)]
    pub fn kill_background(this: &Controller) -> u32;

    /// The fake browser: plays the other end of every port.
    #[derive(Debug, Clone)]
    pub type Controller;

    #[wasm_bindgen(method, getter, js_name = lastRemote)]
    pub fn last_remote(this: &Controller) -> Remote;

    #[wasm_bindgen(method, setter)]
    pub fn set_receiver(this: &Controller, receiver: bool);

    #[wasm_bindgen(method, js_name = dispatchConnect)]
    pub fn dispatch_connect(this: &Controller, name: &str) -> Remote;

    #[wasm_bindgen(method, js_name = dispatchConnectExternal)]
    pub fn dispatch_connect_external(this: &Controller, name: &str) -> Remote;

    /// Another extension, with this id, connects to us.
    #[wasm_bindgen(method, js_name = dispatchConnectExternal)]
    pub fn dispatch_connect_external_from(this: &Controller, name: &str, id: &str) -> Remote;

    /// A web page connects through `externally_connectable`: a sender without an extension id.
    #[wasm_bindgen(method, js_name = dispatchConnectFromWebPage)]
    pub fn dispatch_connect_from_web_page(this: &Controller, name: &str) -> Remote;

    #[wasm_bindgen(method, getter, js_name = onConnectExternalListenerCount)]
    pub fn on_connect_external_listener_count(this: &Controller) -> u32;

    #[wasm_bindgen(method, getter, js_name = onConnect)]
    pub fn on_connect_event(this: &Controller) -> JsValue;

    #[wasm_bindgen(method, getter, js_name = onConnectListenerCount)]
    pub fn on_connect_listener_count(this: &Controller) -> u32;

    #[wasm_bindgen(method, getter, js_name = lastErrorReads)]
    pub fn last_error_reads(this: &Controller) -> u32;

    #[wasm_bindgen(method, getter, js_name = lastErrorDispatches)]
    pub fn last_error_dispatches(this: &Controller) -> u32;

    #[wasm_bindgen(method, getter, js_name = uncheckedLastErrors)]
    pub fn unchecked_last_errors(this: &Controller) -> u32;

    #[wasm_bindgen(method, js_name = peekLastError)]
    pub fn peek_last_error(this: &Controller) -> JsValue;

    #[wasm_bindgen(method, getter)]
    pub fn opened(this: &Controller) -> u32;

    /// The id of the extension the fake plays (`runtime.id`).
    #[wasm_bindgen(method, getter, js_name = extensionId)]
    pub fn extension_id(this: &Controller) -> String;

    #[wasm_bindgen(method, getter, js_name = listenerErrors)]
    pub fn listener_errors(this: &Controller) -> Array;

    #[wasm_bindgen(method)]
    pub fn settle(this: &Controller) -> js_sys::Promise;

    /// The far end of one port the library holds.
    #[derive(Debug, Clone)]
    pub type Remote;

    #[wasm_bindgen(method, getter)]
    pub fn port(this: &Remote) -> JsValue;

    #[wasm_bindgen(method, getter, js_name = libraryPort)]
    pub fn library_port(this: &Remote) -> JsValue;

    #[wasm_bindgen(method, getter)]
    pub fn received(this: &Remote) -> Array;

    #[wasm_bindgen(method, getter, js_name = disconnectCount)]
    pub fn disconnect_count(this: &Remote) -> u32;

    #[wasm_bindgen(method, getter, js_name = disconnectError)]
    pub fn disconnect_error(this: &Remote) -> Option<String>;

    #[wasm_bindgen(method, getter, js_name = libraryOpen)]
    pub fn library_open(this: &Remote) -> bool;

    #[wasm_bindgen(method)]
    pub fn post(this: &Remote, message: &JsValue);

    #[wasm_bindgen(method)]
    pub fn disconnect(this: &Remote);

    #[wasm_bindgen(method)]
    pub fn fail(this: &Remote, message: &str);

    /// The native host exits: Chromium's "Native host has exited.", Firefox's clean end.
    #[wasm_bindgen(method, js_name = exitHost)]
    pub fn exit_host(this: &Remote);

    /// The native host sends a message over 1 MiB; each browser closes the port its way.
    #[wasm_bindgen(method, js_name = hostSendsOversized)]
    pub fn host_sends_oversized(this: &Remote);

    #[wasm_bindgen(method, js_name = listenerCount)]
    pub fn listener_count(this: &Remote, event: &str) -> u32;
}

/// One installed fake browser, for one test.
pub struct Fake {
    pub controller: Controller,
    pub flavor: &'static str,
}

impl Fake {
    pub fn install(flavor: &'static str) -> Fake {
        Fake {
            controller: install_fake(flavor),
            flavor,
        }
    }

    pub fn is_chromium(&self) -> bool {
        self.flavor == "chromium"
    }

    /// Waits until everything the fake has queued was delivered (and the library's microtasks ran).
    pub async fn settle(&self) {
        JsFuture::from(self.controller.settle())
            .await
            .expect("settle never rejects");
    }

    /// Lets everything finish, checks no listener threw and no lastError went unread, and removes
    /// the fake.
    pub async fn finish(self) {
        self.settle().await;
        let errors = self.controller.listener_errors();
        assert_eq!(errors.length(), 0, "listeners threw: {errors:?}");
        assert_eq!(
            self.controller.unchecked_last_errors(),
            0,
            "Chromium would log \"Unchecked runtime.lastError\""
        );
        uninstall_fake();
    }
}

impl Deref for Fake {
    type Target = Controller;
    fn deref(&self) -> &Controller {
        &self.controller
    }
}

/// `async fn behaviour(fake) { … }` becomes `behaviour::chromium` and `behaviour::firefox`.
#[macro_export]
macro_rules! in_both_browsers {
    ($( $(#[$meta:meta])* async fn $name:ident($fake:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            use super::*;

            #[wasm_bindgen_test]
            pub async fn chromium() {
                let $fake = Fake::install("chromium");
                $body
                $fake.finish().await;
            }

            #[wasm_bindgen_test]
            pub async fn firefox() {
                let $fake = Fake::install("firefox");
                $body
                $fake.finish().await;
            }
        }
    )*};
}

pub type Log<T> = Rc<RefCell<Vec<T>>>;

pub fn record_messages(port: &Port) -> (Log<JsValue>, MessageListener) {
    let log = Log::default();
    let sink = log.clone();
    let guard = port.on_message(move |message| sink.borrow_mut().push(message));
    (log, guard)
}

pub fn record_disconnects(port: &Port) -> (Log<Disconnect>, DisconnectListener) {
    let log = Log::default();
    let sink = log.clone();
    let guard = port.on_disconnect(move |reason| sink.borrow_mut().push(reason));
    (log, guard)
}

pub fn record_ports() -> (Log<Port>, impl FnMut(Port)) {
    let log = Log::default();
    let sink = log.clone();
    (log, move |port| sink.borrow_mut().push(port))
}

/// `JSON.stringify` of each value, `"undefined"` where it has none.
pub fn jsons<'a>(values: impl IntoIterator<Item = &'a JsValue>) -> Vec<String> {
    values
        .into_iter()
        .map(|value| {
            js_sys::JSON::stringify(value)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_else(|| "undefined".to_owned())
        })
        .collect()
}

pub fn received(remote: &Remote) -> Vec<String> {
    jsons(remote.received().iter().collect::<Vec<_>>().iter())
}

pub fn parse(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("valid JSON")
}

pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).expect("Reflect.get")
}

pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        Reflect::set(&object, &(*key).into(), value).expect("Reflect.set");
    }
    object.into()
}

/// Runs `body` as a JS function and returns its result (for values Rust cannot easily build).
pub fn js(body: &str) -> JsValue {
    js_sys::Function::new_no_args(body)
        .call0(&JsValue::UNDEFINED)
        .expect("the snippet runs")
}

/// The value of `expression`, evaluated with `w` = the window of a fresh same-origin iframe.
pub fn in_other_realm(expression: &str) -> JsValue {
    js(&format!(
        "const frame = document.createElement('iframe');
         document.body.appendChild(frame);
         const w = frame.contentWindow;
         const value = {expression};
         frame.remove();
         return value;"
    ))
}

/// Waits for one microtask turn (less than a task: the fake delivers on tasks).
pub async fn next_microtask() {
    JsFuture::from(js_sys::Promise::resolve(&JsValue::UNDEFINED))
        .await
        .expect("resolved");
}

pub fn error_of(reasons: &Log<Disconnect>) -> PortError {
    let reasons = reasons.borrow();
    assert_eq!(reasons.len(), 1, "exactly one disconnect: {reasons:?}");
    reasons[0].error().cloned().expect("an error disconnect")
}

#[wasm_bindgen(module = "/tests/fakes/extension_fakes.js")]
extern "C" {
    /// A content script connects to us with this `sender` (see `defaultSender`).
    #[wasm_bindgen(method, js_name = dispatchConnect)]
    pub fn dispatch_connect_with_sender(this: &Controller, name: &str, sender: &JsValue) -> Remote;

    /// This browser's content-script `sender`, with `overrides` (e.g. `{frameId: 3}`) on top.
    #[wasm_bindgen(method, js_name = defaultSender)]
    pub fn default_sender(this: &Controller, overrides: &JsValue) -> JsValue;
}

/// Resolves after `ms` milliseconds (for timers under test, never as a completion signal).
pub async fn sleep(ms: i32) {
    JsFuture::from(timer(ms)).await.expect("resolves");
}

/// A promise that resolves after `ms` milliseconds (`setTimeout` on the global).
pub fn timer(ms: i32) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = Reflect::get(&global, &"setTimeout".into())
            .expect("setTimeout")
            .into();
        set_timeout
            .call2(&global, &resolve, &ms.into())
            .expect("setTimeout runs");
    })
}
