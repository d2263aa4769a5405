//! What the lifecycle test files share: the fake browser's controller (`fakes/extension_fakes.js`,
//! the same fakes as `tests/web.rs`), a `both_fakes!` macro and small helpers.
#![allow(dead_code)] // each test file uses part of it

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/tests/fakes/extension_fakes.js")]
extern "C" {
    #[wasm_bindgen(js_name = installFake)]
    fn install_fake(flavor: &str) -> Controller;

    #[wasm_bindgen(js_name = uninstallFake)]
    pub fn uninstall_fake();

    /// The fake browser: plays the other end of every port.
    #[derive(Debug, Clone)]
    pub type Controller;

    #[wasm_bindgen(method, js_name = dispatchConnect)]
    pub fn dispatch_connect(this: &Controller, name: &str) -> Remote;

    #[wasm_bindgen(method, js_name = dispatchConnectExternal)]
    pub fn dispatch_connect_external(this: &Controller, name: &str) -> Remote;

    #[wasm_bindgen(method, getter, js_name = onConnectListenerCount)]
    pub fn on_connect_listener_count(this: &Controller) -> u32;

    #[wasm_bindgen(method, getter, js_name = onConnectExternalListenerCount)]
    pub fn on_connect_external_listener_count(this: &Controller) -> u32;

    #[wasm_bindgen(method, getter, js_name = uncheckedLastErrors)]
    pub fn unchecked_last_errors(this: &Controller) -> u32;

    #[wasm_bindgen(method, getter, js_name = listenerErrors)]
    fn listener_errors(this: &Controller) -> Array;

    #[wasm_bindgen(method, getter, js_name = lastRemote)]
    pub fn last_remote(this: &Controller) -> Remote;

    #[wasm_bindgen(method, setter)]
    pub fn set_receiver(this: &Controller, receiver: bool);

    #[wasm_bindgen(method, js_name = becomeBackground)]
    pub fn become_background(this: &Controller);

    #[wasm_bindgen(method, js_name = becomeContentScript)]
    pub fn become_content_script(this: &Controller);

    /// `runtime.connect({name})` reaches this page's own `onConnect` (it plays the background).
    #[wasm_bindgen(method, js_name = loopBack)]
    pub fn loop_back(this: &Controller, name: &str);

    /// The background is stopped: its loopback ends go silent, the clients see a clean disconnect.
    #[wasm_bindgen(method, js_name = killBackground)]
    pub fn kill_background(this: &Controller) -> u32;

    #[wasm_bindgen(method, js_name = invalidateContext)]
    pub fn invalidate_context(this: &Controller);

    #[wasm_bindgen(method)]
    fn settle(this: &Controller) -> js_sys::Promise;

    /// The far end of one port the library holds.
    #[derive(Debug, Clone)]
    pub type Remote;

    #[wasm_bindgen(method, getter)]
    pub fn received(this: &Remote) -> Array;

    #[wasm_bindgen(method, getter, js_name = disconnectCount)]
    pub fn disconnect_count(this: &Remote) -> u32;

    #[wasm_bindgen(method, getter, js_name = libraryOpen)]
    pub fn library_open(this: &Remote) -> bool;

    #[wasm_bindgen(method)]
    pub fn post(this: &Remote, message: &JsValue);

    #[wasm_bindgen(method)]
    pub fn disconnect(this: &Remote);

    #[wasm_bindgen(method)]
    pub fn fail(this: &Remote, message: &str);

    #[wasm_bindgen(method, js_name = listenerCount)]
    pub fn listener_count(this: &Remote, event: &str) -> u32;
}

/// One installed fake browser, for one test.
pub struct Fake {
    controller: Controller,
    pub flavor: &'static str,
}

impl Fake {
    pub fn install(flavor: &'static str) -> Fake {
        Fake {
            controller: install_fake(flavor),
            flavor,
        }
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
            "unread lastError"
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
macro_rules! both_fakes {
    ($( $(#[$meta:meta])* async fn $name:ident($fake:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            use super::*;

            #[wasm_bindgen_test]
            async fn chromium() {
                let $fake = Fake::install("chromium");
                $body
                $fake.finish().await;
            }

            #[wasm_bindgen_test]
            async fn firefox() {
                let $fake = Fake::install("firefox");
                $body
                $fake.finish().await;
            }
        }
    )*};
}

pub type Log<T> = Rc<RefCell<Vec<T>>>;

/// `JSON.stringify` of each value.
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

/// What the far end received, as JSON.
pub fn received(remote: &Remote) -> Vec<String> {
    jsons(remote.received().iter().collect::<Vec<_>>().iter())
}

/// Resolves after `ms` milliseconds (for timers under test, never as a completion signal).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into())
            .expect("setTimeout")
            .into();
        set_timeout
            .call2(&global, &resolve, &ms.into())
            .expect("setTimeout runs");
    });
    JsFuture::from(promise).await.expect("resolved");
}
