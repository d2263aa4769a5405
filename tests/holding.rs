//! Layer 2: connections held before the wasm listens, by the crate's own snippet in a background
//! (`src/js/hold.js`) and by the content-script bootstrap line (`www/content.js`), then adopted by
//! the first `OnConnect` listener. Runs under both fakes.
#![cfg(target_arch = "wasm32")]

mod support;

use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use webext_port::{runtime, Disconnect, ErrorKind, Port};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/src/js/hold.js")]
extern "C" {
    /// The snippet's entry point: holds if `global` is the background, and says whether it did.
    #[wasm_bindgen(js_name = startHolding)]
    fn start_holding(global: &JsValue, release_ms: f64) -> bool;
}

const BFCACHE: &str = "The page keeping the extension port is moved into back/forward cache, so the message channel is closed.";

/// Long enough that no test reaches it unless it waits for it.
const NEVER_MS: f64 = 60_000.0;

fn global() -> JsValue {
    js_sys::global().into()
}

fn record_ports() -> (Log<Port>, impl FnMut(Port)) {
    let log = Log::default();
    let sink = log.clone();
    (log, move |port| sink.borrow_mut().push(port))
}

fn events_of(port: &Port) -> (Log<String>, webext_port::MessageListener) {
    let events: Log<String> = Log::default();
    let (on_message, on_disconnect) = (events.clone(), events.clone());
    let guard = port.on_message(move |m| {
        on_message
            .borrow_mut()
            .push(format!("message {}", jsons([&m])[0]))
    });
    port.on_disconnect(move |r| on_disconnect.borrow_mut().push(format!("disconnect {r:?}")));
    (events, guard)
}

/// The first statement of `www/content.js`: the bootstrap line a content script ships.
fn content_bootstrap_line() -> String {
    include_str!("../www/content.js")
        .lines()
        .find(|line| line.starts_with("((g,"))
        .expect("www/content.js starts its code with the bootstrap line")
        .to_owned()
}

in_both_browsers! {
    /// In a background, ports that arrive before the Rust listener are handed to it in arrival
    /// order, each with its early messages (before later ones) and its early disconnect.
    async fn background_adopts_early_ports_in_order(fake) {
        fake.become_background();
        assert!(start_holding(&global(), NEVER_MS));
        assert_eq!(fake.on_connect_listener_count(), 1, "the snippet listens");
        let first = fake.dispatch_connect("first");
        first.post(&1.into());
        first.post(&2.into());
        let second = fake.dispatch_connect("second");
        second.post(&"x".into());
        second.disconnect();
        let third = fake.dispatch_connect("third");
        third.fail(BFCACHE);
        fake.settle().await; // all of it happened while only the snippet listened
        assert_eq!(fake.unchecked_last_errors(), 0, "the snippet reads lastError");

        let (ports, handler) = record_ports();
        let guard = runtime::OnConnect::new().listen(handler).unwrap();
        assert_eq!(fake.on_connect_listener_count(), 1, "the snippet left, ours came");
        let names: Vec<String> = ports.borrow().iter().map(|p| p.name().to_owned()).collect();
        assert_eq!(names, ["first", "second", "third"]);
        let [a, b, c] = <[Port; 3]>::try_from(ports.borrow().clone()).unwrap();

        assert!(a.is_connected());
        let (events_a, _ga) = events_of(&a);
        first.post(&3.into());
        assert_eq!(first.listener_count("onMessage"), 1, "the snippet's listener is gone");
        a.post(&"ack".into()).unwrap();
        assert!(!b.is_connected());
        let (events_b, _gb) = events_of(&b);
        let (events_c, _gc) = events_of(&c);
        fake.settle().await;
        assert_eq!(*events_a.borrow(), ["message 1", "message 2", "message 3"]);
        assert_eq!(received(&first), [r#""ack""#]);
        assert_eq!(*events_b.borrow(), [r#"message "x""#, "disconnect Clean"]);
        assert_eq!(events_c.borrow().len(), 1);
        assert_eq!(c.error().map(|e| e.kind()), Some(ErrorKind::BackForwardCache));

        // Later ports go straight to the handler; a second listener gets nothing held.
        fake.dispatch_connect("fourth");
        assert_eq!(ports.borrow().len(), 4);
        let (again, handler) = record_ports();
        let _second_listener = runtime::OnConnect::new().listen(handler).unwrap();
        assert_eq!(again.borrow().len(), 0, "only the first listener takes the held ports");
        drop(guard);
    }

    /// `onConnectExternal` is held as well, and `OnConnect::external()` adopts it (through its
    /// allowlist like any other port).
    async fn background_adopts_early_external_ports(fake) {
        fake.become_background();
        assert!(start_holding(&global(), NEVER_MS));
        let early = fake.dispatch_connect_external("peer");
        early.post(&"hello".into());
        fake.settle().await;
        let (ports, handler) = record_ports();
        let _guard = runtime::OnConnect::new().external().listen(handler).unwrap();
        assert_eq!(fake.on_connect_external_listener_count(), 1);
        let port = ports.borrow()[0].clone();
        let (events, _g) = events_of(&port);
        fake.settle().await;
        assert_eq!(*events.borrow(), [r#"message "hello""#]);
        // onConnect is still held for its own listener.
        assert_eq!(fake.on_connect_listener_count(), 1);
    }

    /// Nothing takes the held ports: after the release time the snippet stops listening and
    /// disconnects them (the opener sees the background go away), and a late listener gets none.
    async fn release_timer_lets_unclaimed_ports_go(fake) {
        fake.become_background();
        assert!(start_holding(&global(), 20.0));
        let early = fake.dispatch_connect("early");
        early.post(&1.into());
        sleep(60).await; // the timer under test
        fake.settle().await;
        assert_eq!(fake.on_connect_listener_count(), 0, "the snippet stopped listening");
        assert_eq!(early.disconnect_count(), 1, "the opener was told");
        assert_eq!(early.listener_count("onMessage"), 0);
        let (ports, handler) = record_ports();
        let _guard = runtime::OnConnect::new().listen(handler).unwrap();
        assert_eq!(ports.borrow().len(), 0);
    }

    /// Ports taken over before the release time are the library's: the timer leaves them alone.
    async fn release_timer_spares_adopted_ports(fake) {
        fake.become_background();
        assert!(start_holding(&global(), 20.0));
        let early = fake.dispatch_connect("early");
        fake.settle().await;
        let (ports, handler) = record_ports();
        let _guard = runtime::OnConnect::new().listen(handler).unwrap();
        sleep(60).await; // past the timer under test
        fake.settle().await;
        assert_eq!(early.disconnect_count(), 0);
        assert!(ports.borrow()[0].is_connected());
        assert_eq!(fake.on_connect_listener_count(), 1, "ours only");
    }

    /// Outside a background (a page, a content script, a web page) the snippet does nothing:
    /// no listener, nothing held, no throw.
    async fn snippet_does_nothing_outside_a_background(fake) {
        assert!(!start_holding(&global(), NEVER_MS), "a test page is not the background");
        assert_eq!(fake.on_connect_listener_count(), 0);
        assert_eq!(fake.on_connect_external_listener_count(), 0);
        fake.become_content_script();
        assert!(!start_holding(&global(), NEVER_MS));
        assert_eq!(fake.on_connect_listener_count(), 0);
        // A connect now finds no receiver, exactly as without the snippet.
        let nobody = fake.dispatch_connect("nobody");
        fake.settle().await;
        assert_eq!(nobody.disconnect_count(), 1);
        uninstall_fake();
        assert!(!start_holding(&global(), NEVER_MS), "no extension API at all");
        let bare = js_sys::Object::new();
        assert!(!start_holding(&bare, NEVER_MS), "not even a location");
        // (the fake is gone; `finish` reinstalls nothing and only checks its own counters)
    }

    /// Content script: the bootstrap line in www/content.js holds a `tabs.connect` from the
    /// background and its early messages until `runtime::on_connect` takes them over.
    async fn content_bootstrap_line_holds_tabs_connect(fake) {
        fake.become_content_script();
        js_sys::Function::new_no_args(&content_bootstrap_line())
            .call0(&JsValue::UNDEFINED)
            .expect("the bootstrap line runs");
        assert_eq!(fake.on_connect_listener_count(), 1);
        let from_background = fake.dispatch_connect("from-bg");
        for i in 0..3 {
            from_background.post(&i.into());
        }
        let gone = fake.dispatch_connect("gone");
        gone.disconnect();
        fake.settle().await;
        let (ports, handler) = record_ports();
        let _guard = runtime::on_connect(handler).unwrap();
        assert_eq!(fake.on_connect_listener_count(), 1, "the bootstrap's listener left");
        let names: Vec<String> = ports.borrow().iter().map(|p| p.name().to_owned()).collect();
        assert_eq!(names, ["from-bg", "gone"]);
        let (events, _g) = events_of(&ports.borrow()[0]);
        from_background.post(&3.into());
        fake.settle().await;
        assert_eq!(*events.borrow(), ["message 0", "message 1", "message 2", "message 3"]);
        assert_eq!(ports.borrow()[1].state(), webext_port::State::ClosedThere(Disconnect::Clean));
    }
}
