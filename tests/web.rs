//! Layer 2: the library against in-page fakes of Chromium's and Firefox's port APIs.
//!
//! Every behaviour runs twice, as `<behaviour>::chromium` and `<behaviour>::firefox`, each with a
//! freshly installed fake (`tests/fakes/extension_fakes.js`) that reproduces what
//! `PORT-BEHAVIOUR.md` measured in that browser. The fake plays the other end of every port.
//!
//! Run with `wasm-pack test --headless --chrome` or `--firefox` (either browser runs both fakes).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use webext_port::{
    runtime, tabs, Allowlist, ConnectInfo, Disconnect, ErrorKind, MessageListener, MessageSender,
    Port, PortError, State, BACKLOG_LIMIT, MESSAGE_LIMIT,
};

wasm_bindgen_test_configure!(run_in_browser);

#[macro_use]
mod support;
use support::*;

in_both_browsers! {
    /// `runtime::connect` and `tabs::connect` return a connected port carrying the name asked for.
    async fn connect_returns_a_port_with_its_name(fake) {
        let port = runtime::connect(&ConnectInfo::named("port-from-cs")).unwrap();
        assert_eq!(port.name(), "port-from-cs");
        assert!(port.is_connected());
        assert!(port.sender().is_none(), "only received ports have a sender");
        assert_eq!(get(&fake.last_remote().port(), "name"), "port-from-cs");

        let unnamed = runtime::connect(&ConnectInfo::new()).unwrap();
        assert_eq!(unnamed.name(), "");

        let to_tab = tabs::connect(1, &tabs::ConnectInfo::named("port-from-bg")).unwrap();
        assert_eq!(to_tab.name(), "port-from-bg");
        assert_eq!(fake.opened(), 3);
    }

    /// What we post arrives at the other end, asynchronously and in order.
    async fn post_reaches_the_other_end(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let record = r#"{"n":1,"list":[1,"two",true,null],"nested":{"x":2.5}}"#;
        port.post(&"hello".into()).unwrap();
        port.post(&parse(record)).unwrap();
        port.post(&7.into()).unwrap();
        assert!(received(&remote).is_empty(), "delivery is asynchronous");
        fake.settle().await;
        assert_eq!(received(&remote), [r#""hello""#, record, "7"]);
    }

    /// An `on_message` listener gets every message from the other end, in order.
    async fn on_message_receives_in_order(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let (log, _guard) = record_messages(&port);
        for i in 0..5 {
            remote.post(&i.into());
        }
        remote.post(&parse(r#"{"done":true}"#));
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), ["0", "1", "2", "3", "4", r#"{"done":true}"#]);
    }

    /// Messages that arrive before the first `on_message` are kept and delivered first, in order.
    async fn messages_before_on_message_are_delivered_in_order(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        for i in 1..=3 {
            remote.post(&i.into());
        }
        fake.settle().await; // delivered while nobody listened
        let (log, _guard) = record_messages(&port);
        remote.post(&4.into());
        assert!(log.borrow().is_empty(), "the backlog comes on a later microtask");
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), ["1", "2", "3", "4"]);
    }

    /// Messages that arrived before the other side disconnected reach a listener added later,
    /// before the disconnect is reported.
    async fn messages_before_a_remote_disconnect_are_still_delivered(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        remote.post(&"last words".into());
        remote.disconnect();
        fake.settle().await;
        assert!(!port.is_connected());
        let events: Log<String> = Log::default();
        let (on_message, on_disconnect) = (events.clone(), events.clone());
        let _messages = port
            .on_message(move |m| on_message.borrow_mut().push(format!("message {}", jsons([&m])[0])));
        let _closed = port.on_disconnect(move |r| on_disconnect.borrow_mut().push(format!("disconnect {r:?}")));
        fake.settle().await;
        assert_eq!(*events.borrow(), [r#"message "last words""#, "disconnect Clean"]);
    }

    /// Dropping the `MessageListener` removes the listener; the closure sees nothing more. The
    /// port has one JS `onMessage` listener of its own however many Rust listeners it has.
    async fn dropping_message_listener_removes_the_listener(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let (log, guard) = record_messages(&port);
        let (_, second) = record_messages(&port);
        assert_eq!(remote.listener_count("onMessage"), 1, "one JS listener per port");
        remote.post(&1.into());
        fake.settle().await;
        drop(guard);
        drop(second);
        assert_eq!(remote.listener_count("onMessage"), 1, "still the port's own");
        remote.post(&2.into());
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), ["1"]);
        assert!(port.is_connected(), "removing a listener never disconnects");
    }

    /// A listener may drop its own guard while it runs; later messages do not reach it.
    async fn message_listener_can_drop_itself(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let log: Log<JsValue> = Log::default();
        let slot: Rc<RefCell<Option<MessageListener>>> = Rc::default();
        let (sink, own) = (log.clone(), slot.clone());
        let guard = port
            .on_message(move |message| {
                sink.borrow_mut().push(message);
                let me = own.borrow_mut().take();
                drop(me);
            });
        *slot.borrow_mut() = Some(guard);
        remote.post(&1.into());
        remote.post(&2.into());
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), ["1"]);
        assert!(slot.borrow().is_none(), "the guard was dropped inside the callback");
        assert_eq!(remote.listener_count("onMessage"), 1, "the port's own JS listener stays");
    }

    /// The other side's `disconnect()` is a clean disconnect, reported exactly once.
    async fn on_disconnect_is_clean_on_remote_disconnect_and_fires_once(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let (reasons, _guard) = record_disconnects(&port);
        remote.disconnect();
        remote.disconnect();
        remote.fail("too late to fail");
        fake.settle().await;
        assert_eq!(*reasons.borrow(), [Disconnect::Clean]);
        assert!(!port.is_connected());
        assert_eq!(port.error(), None);
        fake.settle().await;
        assert_eq!(reasons.borrow().len(), 1);
    }

    /// No receiver is `NoReceiver` in both browsers, whether it came through `port.error`
    /// (Firefox) or `runtime.lastError` (Chromium, read during the dispatch, then gone).
    async fn error_disconnect_is_no_receiver(fake) {
        fake.set_receiver(false);
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        assert!(port.is_connected(), "connected until the browser says otherwise");
        let (reasons, _guard) = record_disconnects(&port);
        fake.settle().await;
        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::NoReceiver);
        assert_eq!(err.message(), NO_RECEIVER);
        assert!(!port.is_connected());
        let raw = port.raw();
        if fake.is_chromium() {
            assert!(!Reflect::has(raw, &"error".into()).unwrap(), "Chromium ports have no error");
            assert_eq!(fake.last_error_dispatches(), 1);
            assert!(fake.last_error_reads() >= 1, "lastError must be read during the dispatch");
            assert_eq!(fake.unchecked_last_errors(), 0);
            assert!(fake.peek_last_error().is_undefined(), "lastError is cleared afterwards");
        } else {
            assert_eq!(get(&get(raw, "error"), "message"), NO_RECEIVER);
            assert_eq!(fake.last_error_reads(), 0);
        }
    }

    /// Chromium's lastError is checked even when the user added no `on_disconnect` listener, so
    /// Chromium never logs "Unchecked runtime.lastError"; the error is still kept on the port.
    async fn last_error_is_checked_without_a_user_listener(fake) {
        fake.set_receiver(false);
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        fake.settle().await;
        assert_eq!(fake.unchecked_last_errors(), 0);
        assert_eq!(port.error().map(|e| e.kind()), Some(ErrorKind::NoReceiver));
    }

    /// `tabs::connect` to a tab that does not exist reports `NoReceiver` through `on_disconnect`.
    async fn tabs_connect_to_unknown_tab_reports_no_receiver(fake) {
        let port = tabs::connect(999_999, &tabs::ConnectInfo::named("to-nowhere")).unwrap();
        let (reasons, _guard) = record_disconnects(&port);
        fake.settle().await;
        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::NoReceiver);
        assert_eq!(err.message(), NO_RECEIVER);
    }

    /// A negative tab or frame id is refused before the browser is asked.
    async fn tabs_connect_negative_id_is_invalid_argument(fake) {
        let err = tabs::connect(-1, &tabs::ConnectInfo::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let err = tabs::connect(1, &tabs::ConnectInfo::new().frame_id(-1)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(fake.opened(), 0);
    }

    /// Posting after our own `disconnect()` is `Disconnected`, in the browser's own words.
    async fn post_after_own_disconnect_is_disconnected(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        port.disconnect().unwrap();
        let err = port.post(&"late".into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected);
        let words = if fake.is_chromium() {
            "Attempting to use a disconnected port object"
        } else {
            "Attempt to postMessage on disconnected port"
        };
        assert_eq!(err.message(), words);
        fake.settle().await;
        assert!(received(&remote).is_empty());
    }

    /// Posting after the other side disconnected is `Disconnected`.
    async fn post_after_remote_disconnect_is_disconnected(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        remote.disconnect();
        fake.settle().await;
        let err = port.post(&"late".into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected);
        fake.settle().await;
        assert!(received(&remote).is_empty());
    }

    /// Posting from inside `on_disconnect` is `Disconnected`.
    async fn post_inside_on_disconnect_is_disconnected(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let results: Log<Result<(), PortError>> = Log::default();
        let (sink, inside) = (results.clone(), port.clone());
        let _guard = port.on_disconnect(move |_| sink.borrow_mut().push(inside.post(&"bye".into())));
        remote.disconnect();
        fake.settle().await;
        let results = results.borrow();
        assert_eq!(results.len(), 1);
        let err = results[0].clone().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected);
    }

    /// `disconnect()` twice is fine; our side is not told, the other side is told once, cleanly.
    async fn disconnect_twice_is_ok_and_only_the_other_side_is_told(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let (reasons, _guard) = record_disconnects(&port);
        port.disconnect().unwrap();
        port.disconnect().unwrap();
        assert!(!port.is_connected());
        fake.settle().await;
        assert!(reasons.borrow().is_empty(), "onDisconnect never fires on the side that called it");
        assert_eq!(remote.disconnect_count(), 1);
        assert_eq!(remote.disconnect_error(), None);
    }

    /// Values that Chromium and Firefox would treat differently are refused in both, before
    /// anything is sent: nested and top-level functions, BigInts, cycles, symbols.
    async fn unserializable_values_are_refused_everywhere(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let function: JsValue = js_sys::Function::new_no_args("return 1").into();
        let bigint: JsValue = js_sys::BigInt::from(1u32).into();
        let symbol = JsValue::symbol(Some("s"));
        let cycle = object(&[("a", 1.into())]);
        Reflect::set(&cycle, &"self".into(), &cycle).unwrap();
        let values = [
            ("nested function", object(&[("f", function.clone())])),
            ("top-level function", function),
            ("BigInt", bigint.clone()),
            ("nested BigInt", object(&[("b", bigint)])),
            ("cycle", cycle),
            ("symbol", symbol.clone()),
            ("nested symbol", Array::of1(&symbol).into()),
        ];
        for (what, value) in values {
            let err = port.post(&value).expect_err(what);
            assert_eq!(err.kind(), ErrorKind::NotSerializable, "{what}: {err}");
        }
        fake.settle().await;
        assert!(received(&remote).is_empty(), "nothing reached the other end");
        assert!(port.is_connected());
        port.post(&"still usable".into()).unwrap();
    }

    /// Cycles are found at any depth, and deep messages without one still pass: the walk checks
    /// for cycles only past 256 levels (a Set per object would double its cost), then walks again
    /// with the path in a Set.
    async fn cycles_at_any_depth_and_deep_messages(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let nest = |levels: usize, innermost: JsValue| {
            (0..levels).fold(innermost, |inner, _| Array::of1(&inner).into())
        };
        let deep_cycle = object(&[]);
        let wrapped = nest(400, deep_cycle.clone());
        Reflect::set(&deep_cycle, &"back".into(), &wrapped).unwrap();
        let shallow_cycle = object(&[]);
        Reflect::set(&shallow_cycle, &"inner".into(), &object(&[("up", shallow_cycle.clone())]))
            .unwrap();
        for (what, value) in [("deep cycle", wrapped), ("shallow cycle", shallow_cycle)] {
            let err = port.post(&value).expect_err(what);
            assert_eq!(err.kind(), ErrorKind::NotSerializable, "{what}: {err}");
            assert!(err.message().contains("a cycle"), "{what}: {err}");
        }
        port.post(&nest(300, "bottom".into())).unwrap();
        let bad_deep = nest(300, JsValue::from_f64(f64::NAN));
        let err = port.post(&bad_deep).unwrap_err();
        assert!(err.message().contains("NaN at message[0][0]"), "{err}");
        fake.settle().await;
        assert_eq!(received(&remote).len(), 1, "only the deep message without a cycle crossed");
    }

    /// `connect_native`'s port is named after the application in both browsers (Chromium's own
    /// `port.name` is "").
    async fn connect_native_name_is_the_app_name(fake) {
        let port = runtime::connect_native("ping_pong").unwrap();
        assert_eq!(port.name(), "ping_pong");
        let raw_name = if fake.is_chromium() { "" } else { "ping_pong" };
        assert_eq!(get(port.raw(), "name"), raw_name);
        let remote = fake.last_remote();
        port.post(&parse(r#"{"text":"ping"}"#)).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#"{"text":"ping"}"#]);
    }

    /// An unknown native host is `NativeHostNotFound`, with the browser's words kept.
    async fn connect_native_unknown_host_is_native_host_not_found(fake) {
        let port = runtime::connect_native("no_such_host").unwrap();
        assert_eq!(port.name(), "no_such_host");
        let (reasons, _guard) = record_disconnects(&port);
        fake.settle().await;
        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::NativeHostNotFound);
        let words = if fake.is_chromium() {
            "Specified native messaging host not found."
        } else {
            "No such native application no_such_host"
        };
        assert_eq!(err.message(), words);
        assert_eq!(fake.unchecked_last_errors(), 0);
    }

    /// An id no extension answers to is `NoReceiver` through `on_disconnect` in both browsers
    /// (Chromium throws at once for this malformed id, the library turns that into a port), with
    /// the browser's words kept.
    async fn connect_external_to_unknown_extension_is_no_receiver(fake) {
        let port = runtime::connect_external("nonexistent@example.org", &ConnectInfo::new())
            .expect("a port in every browser");
        let (reasons, _guard) = record_disconnects(&port);
        fake.settle().await;
        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::NoReceiver);
        if fake.is_chromium() {
            assert!(err.message().contains("Invalid extension id"), "{err}");
        } else {
            assert_eq!(err.message(), NO_RECEIVER);
        }
    }

    /// `on_connect` hands over a port whose `sender` is read field by field, with each browser's
    /// extras present only in that browser; the port talks both ways.
    async fn on_connect_hands_a_port_with_its_sender(fake) {
        let (ports, handler) = record_ports();
        let _guard = runtime::on_connect(handler).unwrap();
        let remote = fake.dispatch_connect("port-from-cs");
        assert_eq!(ports.borrow().len(), 1);
        let port = ports.borrow()[0].clone();
        assert_eq!(port.name(), "port-from-cs");

        let sender = port.sender().expect("a received port has a sender");
        let tab = sender.tab.clone().expect("a content-script sender has a tab");
        assert_eq!(tab.id, Some(1));
        assert_eq!(tab.window_id, Some(1));
        assert_eq!(tab.active, Some(true));
        assert_eq!(sender.frame_id, Some(0));
        assert_eq!(sender.url.as_deref(), Some("http://127.0.0.1:8000/page.html"));
        assert_eq!(sender.origin.as_deref(), Some("http://127.0.0.1:8000"));
        assert!(sender.id.is_some());
        assert!(sender.document_id.is_some());
        if fake.is_chromium() {
            assert_eq!(sender.document_lifecycle.as_deref(), Some("active"));
            assert_eq!(sender.env_type, None);
            assert_eq!(sender.context_id, None);
        } else {
            assert_eq!(sender.document_lifecycle, None);
            assert_eq!(sender.env_type.as_deref(), Some("content_child"));
            assert_eq!(sender.context_id.as_deref(), Some("8589934593"));
        }

        let (log, _messages) = record_messages(&port);
        remote.post(&"hello background".into());
        port.post(&"hi there content script!".into()).unwrap();
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), [r#""hello background""#]);
        assert_eq!(received(&remote), [r#""hi there content script!""#]);
    }

    /// `on_connect_external` hands over ports from other extensions, with their sender; dropping
    /// its guard removes the JS listener.
    async fn on_connect_external_hands_ports_from_other_extensions(fake) {
        let (ports, handler) = record_ports();
        let guard = runtime::on_connect_external(handler).unwrap();
        assert_eq!(fake.on_connect_external_listener_count(), 1);
        assert_eq!(fake.on_connect_listener_count(), 0);
        let remote = fake.dispatch_connect_external("peer");
        assert_eq!(ports.borrow().len(), 1);
        let port = ports.borrow()[0].clone();
        assert_eq!(port.name(), "peer");
        let sender = port.sender().unwrap();
        assert_eq!(sender.origin.as_deref(), Some("https://example.org"));
        assert!(sender.tab.is_none());
        port.post(&"welcome".into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#""welcome""#]);
        drop(guard);
        assert_eq!(fake.on_connect_external_listener_count(), 0);
    }

    /// Dropping the `ConnectListener` removes the JS `onConnect` listener; ports already handed
    /// out stay open.
    async fn dropping_connect_listener_removes_js_listener(fake) {
        let (ports, handler) = record_ports();
        let guard = runtime::on_connect(handler).unwrap();
        assert_eq!(fake.on_connect_listener_count(), 1);
        let first = fake.dispatch_connect("first");
        drop(guard);
        assert_eq!(fake.on_connect_listener_count(), 0);
        let late = fake.dispatch_connect("late");
        fake.settle().await;
        assert_eq!(ports.borrow().len(), 1);
        assert_eq!(late.disconnect_error().as_deref(), Some(NO_RECEIVER));
        assert!(ports.borrow()[0].is_connected());
        assert_eq!(first.disconnect_count(), 0);
    }

    /// `forget()` keeps a connect listener registered with no guard held: later connections
    /// still reach the handler.
    async fn forgotten_connect_listener_keeps_listening(fake) {
        let (ports, handler) = record_ports();
        runtime::on_connect(handler).unwrap().forget();
        assert_eq!(fake.on_connect_listener_count(), 1);
        let remote = fake.dispatch_connect("later");
        fake.settle().await;
        assert_eq!(ports.borrow().len(), 1);
        assert_eq!(ports.borrow()[0].name(), "later");
        assert_eq!(remote.disconnect_count(), 0, "the opener was not refused");
    }

    /// Dropping every `Port` handle and guard removes the library's JS listeners and does not
    /// disconnect: the other side sees nothing.
    async fn dropping_every_handle_removes_listeners_without_disconnecting(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        assert_eq!(remote.listener_count("onMessage"), 1, "the backlog");
        assert_eq!(remote.listener_count("onDisconnect"), 1, "the disconnect watcher");
        let messages = port.on_message(|_| {});
        let closed = port.on_disconnect(|_| {});
        let copy = port.clone();
        drop(port);
        drop(copy);
        assert_eq!(remote.listener_count("onMessage"), 1, "the guards keep the port alive");
        assert_eq!(remote.listener_count("onDisconnect"), 1);
        drop(messages);
        assert_eq!(remote.listener_count("onMessage"), 1, "the on_disconnect callback keeps it");
        closed.cancel();
        assert_eq!(remote.listener_count("onMessage"), 0);
        assert_eq!(remote.listener_count("onDisconnect"), 0);
        fake.settle().await;
        assert_eq!(remote.disconnect_count(), 0);
        assert!(remote.library_open());
        remote.post(&"anyone?".into());

        // The same for a port handed to on_connect and dropped by the handler at once.
        let _guard = runtime::on_connect(drop).unwrap();
        let remote = fake.dispatch_connect("dropped");
        assert_eq!(remote.listener_count("onMessage"), 0);
        assert_eq!(remote.listener_count("onDisconnect"), 0);
        fake.settle().await;
        assert_eq!(remote.disconnect_count(), 0);
        assert!(remote.library_open());
    }

    /// Without `chrome`/`browser` every entry point is `NotInExtension`.
    async fn no_namespace_is_not_in_extension(fake) {
        uninstall_fake();
        let kind = |r: Result<Port, PortError>| r.unwrap_err().kind();
        assert_eq!(kind(runtime::connect(&ConnectInfo::new())), ErrorKind::NotInExtension);
        assert_eq!(kind(runtime::connect_native("ping_pong")), ErrorKind::NotInExtension);
        assert_eq!(kind(tabs::connect(1, &tabs::ConnectInfo::new())), ErrorKind::NotInExtension);
        let err = runtime::on_connect(|_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotInExtension);
        assert_eq!(fake.opened(), 0);
    }

    /// Only `browser` defined (Safari-like, or `chrome` deleted): the library still finds it.
    async fn connect_works_with_only_browser_defined(fake) {
        Reflect::delete_property(&js_sys::global(), &"chrome".into()).unwrap();
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        port.post(&1.into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&fake.last_remote()), ["1"]);
    }

    /// An `on_disconnect` added after the other side left still fires, once, on a later microtask.
    async fn on_disconnect_added_after_remote_disconnect_still_fires_once(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        fake.last_remote().disconnect();
        fake.settle().await;
        assert!(!port.is_connected());
        let (reasons, _guard) = record_disconnects(&port);
        assert!(reasons.borrow().is_empty());
        fake.settle().await;
        assert_eq!(*reasons.borrow(), [Disconnect::Clean]);

        let failed = runtime::connect(&ConnectInfo::named("q")).unwrap();
        fake.last_remote().fail(NO_RECEIVER);
        fake.settle().await;
        let (reasons, _guard) = record_disconnects(&failed);
        fake.settle().await;
        assert_eq!(error_of(&reasons).kind(), ErrorKind::NoReceiver);
    }

    /// `Port::from_raw` refuses what is not a port, and wraps what is.
    async fn from_raw_of_a_non_port_is_invalid_argument(fake) {
        let almost = object(&[("postMessage", js_sys::Function::new_no_args("").into())]);
        for value in [
            JsValue::NULL,
            JsValue::UNDEFINED,
            42.into(),
            "port".into(),
            Object::new().into(),
            almost,
        ] {
            let err = Port::from_raw(value).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }

        // The far end of a port is a port: wrapping it gives a working loopback.
        let near = runtime::connect(&ConnectInfo::named("loop")).unwrap();
        let far = Port::from_raw(fake.last_remote().port()).unwrap();
        assert_eq!(far.name(), "loop");
        let (log, _guard) = record_messages(&near);
        far.post(&"round".into()).unwrap();
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), [r#""round""#]);
    }

    /// `error()` is `None` until an error disconnect, then that error; a clean or own disconnect
    /// leaves it `None`.
    async fn error_returns_the_error_after_an_error_disconnect(fake) {
        let port = runtime::connect_native("ping_pong").unwrap();
        assert_eq!(port.error(), None);
        fake.last_remote().fail("Native host has exited.");
        assert_eq!(port.error(), None, "not before the browser reports it");
        fake.settle().await;
        let err = port.error().expect("the error");
        assert_eq!(err.kind(), ErrorKind::NativeHostExited);
        assert_eq!(err.message(), "Native host has exited.");

        let clean = runtime::connect(&ConnectInfo::new()).unwrap();
        fake.last_remote().disconnect();
        let own = runtime::connect(&ConnectInfo::new()).unwrap();
        own.disconnect().unwrap();
        fake.settle().await;
        assert_eq!(clean.error(), None);
        assert_eq!(own.error(), None);
    }

    /// `is_connected` turns false at once for our own disconnect, and when the browser reports
    /// the other side's.
    async fn is_connected_follows_both_sides(fake) {
        let port = runtime::connect(&ConnectInfo::new()).unwrap();
        assert!(port.is_connected());
        fake.last_remote().disconnect();
        assert!(port.is_connected(), "the browser has not told us yet");
        fake.settle().await;
        assert!(!port.is_connected());

        let own = runtime::connect(&ConnectInfo::new()).unwrap();
        own.disconnect().unwrap();
        assert!(!own.is_connected());
    }
}

/// `target[method](...args)`, with a throw as `Err`.
fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: js_sys::Function = get(target, method).into();
    function.apply(target, &args.iter().collect::<Array>())
}

fn message_of(thrown: &JsValue) -> String {
    get(thrown, "message").as_string().unwrap_or_default()
}

in_both_browsers! {
    /// A test of the fake, not of the library: on raw JS ports with no library in between, the
    /// fake does what PORT-BEHAVIOUR.md part A measured in that browser (namespaces, `port.error`,
    /// serialization, thrown words).
    async fn fake_self_test_reproduces_the_measured_browser(fake) {
        let chromium = fake.is_chromium();
        let global: JsValue = js_sys::global().into();
        let (chrome, browser) = (get(&global, "chrome"), get(&global, "browser"));
        assert_eq!(browser == chrome, !chromium, "browser === chrome only in Firefox");
        let runtime = get(&chrome, "runtime");
        assert!(get(&get(&browser, "runtime"), "connect").is_function());

        let raw = call(&runtime, "connect", &[object(&[("name", "raw".into())])]).unwrap();
        let remote = fake.last_remote();
        assert_eq!(Reflect::has(&raw, &"error".into()).unwrap(), !chromium);
        if !chromium {
            assert!(get(&raw, "error").is_null());
        }

        // Serialization: JSON in Chromium, structured clone in Firefox.
        let function: JsValue = js_sys::Function::new_no_args("return 1").into();
        let bigint: JsValue = js_sys::BigInt::from(1u32).into();
        let cycle = object(&[]);
        Reflect::set(&cycle, &"self".into(), &cycle).unwrap();
        let nested_function = call(&raw, "postMessage", &[object(&[("f", function.clone())])]);
        let top_function = call(&raw, "postMessage", std::slice::from_ref(&function)).unwrap_err();
        let bigint = call(&raw, "postMessage", &[bigint]);
        let cycle = call(&raw, "postMessage", &[cycle]);
        let symbol = call(&raw, "postMessage", &[JsValue::symbol(None)]);
        assert!(symbol.is_err());
        call(&raw, "postMessage", &[JsValue::UNDEFINED]).unwrap();
        call(&raw, "postMessage", &[js_sys::Map::new().into()]).unwrap();
        fake.settle().await;
        let got = remote.received();
        if chromium {
            assert!(nested_function.is_ok(), "JSON drops nested functions");
            assert_eq!(message_of(&top_function), "Could not serialize message.");
            assert_eq!(message_of(&bigint.unwrap_err()), "Could not serialize message.");
            assert_eq!(message_of(&cycle.unwrap_err()), "Could not serialize message.");
            assert_eq!(jsons(got.iter().collect::<Vec<_>>().iter()), ["{}", "null", "{}"]);
        } else {
            let thrown = nested_function.unwrap_err();
            assert_eq!(get(&thrown, "name"), "DataCloneError");
            assert_eq!(get(&top_function, "name"), "DataCloneError");
            assert!(bigint.is_ok() && cycle.is_ok(), "structured clone keeps BigInt and cycles");
            assert_eq!(got.length(), 4);
            assert!(got.get(2).is_undefined());
            assert!(got.get(3).is_instance_of::<js_sys::Map>());
        }

        // Listener arguments: (message, port) and (port), the very port object.
        let args: Log<Array> = Log::default();
        let sink = args.clone();
        let listener = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |a: JsValue, b: JsValue| {
            sink.borrow_mut().push(Array::of2(&a, &b));
        });
        call(&get(&raw, "onMessage"), "addListener", &[listener.as_ref().clone()]).unwrap();
        call(&get(&raw, "onDisconnect"), "addListener", &[listener.as_ref().clone()]).unwrap();
        remote.post(&"m".into());
        remote.disconnect();
        fake.settle().await;
        {
            let args = args.borrow();
            assert_eq!(args.len(), 2);
            assert_eq!(args[0].get(0), "m");
            assert_eq!(args[0].get(1), raw);
            assert_eq!(args[1].get(0), raw);
        }
        let after = call(&raw, "postMessage", &["late".into()]).unwrap_err();
        let words = if chromium {
            "Attempting to use a disconnected port object"
        } else {
            "Attempt to postMessage on disconnected port"
        };
        assert_eq!(message_of(&after), words);
        call(&raw, "disconnect", &[]).unwrap();
        call(&raw, "disconnect", &[]).unwrap();
        drop(listener);

        // A malformed extension id: thrown TypeError in Chromium, later port.error in Firefox.
        let external = call(&runtime, "connect", &["nonexistent@example.org".into(), object(&[])]);
        if chromium {
            let thrown = external.unwrap_err();
            assert!(thrown.is_instance_of::<js_sys::TypeError>());
            assert_eq!(
                message_of(&thrown),
                "Error in invocation of runtime.connect(optional string extensionId, optional object connectInfo): Invalid extension id: 'nonexistent@example.org'"
            );
        } else {
            let port = external.unwrap();
            fake.settle().await;
            assert_eq!(message_of(&get(&port, "error")), NO_RECEIVER);
        }

        // A native port's own name; an unknown host's words.
        let native = call(&runtime, "connectNative", &["no_such_host".into()]).unwrap();
        assert_eq!(get(&native, "name"), if chromium { "" } else { "no_such_host" });
        let seen: Log<JsValue> = Log::default();
        let (sink, runtime_now) = (seen.clone(), runtime.clone());
        let browser_runtime = get(&browser, "runtime");
        let read = Closure::<dyn FnMut(JsValue)>::new(move |port: JsValue| {
            let error = if chromium { get(&runtime_now, "lastError") } else { get(&port, "error") };
            if chromium {
                // Only chrome.runtime.lastError was measured; browser.runtime's stays unset.
                assert!(get(&browser_runtime, "lastError").is_undefined());
            }
            sink.borrow_mut().push(get(&error, "message"));
        });
        call(&get(&native, "onDisconnect"), "addListener", &[read.as_ref().clone()]).unwrap();
        fake.settle().await;
        let words = if chromium {
            "Specified native messaging host not found."
        } else {
            "No such native application no_such_host"
        };
        assert_eq!(*seen.borrow(), [JsValue::from_str(words)]);
        assert!(get(&runtime, "lastError").is_undefined(), "lastError only during the dispatch");
        drop(read);
    }
}

/// The id of an extension the allowlist tests let in, and a second one in Chromium's shape.
const PEER: &str = "peer@example.org";
const PEER_CHROMIUM: &str = "eeipkioiegfamkjepdbdpahhcblbddbb";

fn record_rejections() -> (
    Log<Option<MessageSender>>,
    impl FnMut(Option<MessageSender>),
) {
    let log = Log::default();
    let sink = log.clone();
    (log, move |sender| sink.borrow_mut().push(sender))
}

/// Posts each `(what, value)` and checks it is refused as `NotSerializable`.
fn assert_not_serializable(port: &Port, values: Vec<(&str, JsValue)>) {
    for (what, value) in values {
        let err = port.post(&value).expect_err(what);
        assert_eq!(err.kind(), ErrorKind::NotSerializable, "{what}: {err}");
    }
}

in_both_browsers! {
    /// Values JSON would turn into something else (Map, Set and Date into `{}` or a string, NaN
    /// and ±Infinity into null, undefined into null or nothing) are `NotSerializable` in both
    /// browsers, at the top or nested, and nothing reaches the other end.
    async fn map_date_nan_undefined_are_not_serializable(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let date = js("return new Date(0)");
        assert_not_serializable(&port, vec![
            ("Map", js("return new Map([[1, 2]])")),
            ("empty Map", js("return new Map()")),
            ("Set", js("return new Set([1])")),
            ("Date", date.clone()),
            ("NaN", f64::NAN.into()),
            ("Infinity", f64::INFINITY.into()),
            ("-Infinity", f64::NEG_INFINITY.into()),
            ("top-level undefined", JsValue::UNDEFINED),
            ("undefined in an array", js("return [1, undefined, 3]")),
            ("hole in an array", js("return [1, , 3]")),
            ("nested Map", object(&[("m", js("return new Map()"))])),
            ("Date deep in arrays", Array::of1(&Array::of2(&1.into(), &date).into()).into()),
            ("nested NaN", object(&[("a", object(&[("n", f64::NAN.into())]))])),
            ("Infinity in an array", Array::of1(&f64::INFINITY.into()).into()),
        ]);
        fake.settle().await;
        assert!(received(&remote).is_empty(), "nothing reached the other end");
        assert!(port.is_connected());
        port.post(&"still usable".into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#""still usable""#]);
    }

    /// Objects that are not plain (RegExp, typed arrays, ArrayBuffer, class instances, boxed
    /// primitives, errors, DOM nodes, objects with `toJSON`), including another realm's, are
    /// `NotSerializable` in both browsers.
    async fn non_plain_objects_are_not_serializable(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        assert_not_serializable(&port, vec![
            ("RegExp", js("return /x/g")),
            ("Uint8Array", js("return new Uint8Array([1, 2])")),
            ("ArrayBuffer", js("return new ArrayBuffer(4)")),
            ("DataView", js("return new DataView(new ArrayBuffer(4))")),
            ("class instance", js("return new (class Point { constructor() { this.x = 1; } })()")),
            ("boxed string", js("return new String('s')")),
            ("boxed number", js("return new Number(1)")),
            ("Error", js("return new Error('e')")),
            ("DOM node", js("return document.createElement('div')")),
            (
                "non-enumerable toJSON",
                js("return Object.defineProperty({ a: 1 }, 'toJSON', { value: () => 2 })"),
            ),
            (
                "inherited toJSON on a null-prototype chain",
                js("return Object.create(Object.create(null, { toJSON: { value: () => 2 } }))"),
            ),
            ("nested RegExp", object(&[("r", js("return /x/"))])),
            ("Map from another realm", in_other_realm("new w.Map()")),
            ("Date from another realm", in_other_realm("new w.Date(0)")),
        ]);
        fake.settle().await;
        assert!(received(&remote).is_empty(), "nothing reached the other end");
        assert!(port.is_connected());
    }

    /// A value whose getter or Proxy trap throws while the library checks it is
    /// `NotSerializable`, never a JS throw out of `post`, and nothing is sent.
    async fn throwing_getter_or_proxy_is_not_serializable(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        assert_not_serializable(&port, vec![
            ("throwing getter", js("return { get boom() { throw new Error('getter threw'); } }")),
            (
                "throwing Proxy",
                js("return new Proxy({}, { ownKeys() { throw new Error('trap threw'); } })"),
            ),
        ]);
        fake.settle().await;
        assert!(received(&remote).is_empty(), "nothing reached the other end");
        assert!(port.is_connected());
    }

    /// An array with named (non-index) properties is `NotSerializable` in both browsers:
    /// Chromium's JSON drops them (or calls a `toJSON`), Firefox's structured clone keeps them
    /// (or throws for a function), so it would arrive differently or not at all.
    async fn array_with_named_properties_is_not_serializable(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let extra = || js("const a = [1, 2]; a.extra = 3; return a;");
        assert_not_serializable(&port, vec![
            ("named property", extra()),
            ("function property", js("const a = [1]; a.f = () => 1; return a;")),
            ("non-enumerable toJSON", js("return Object.defineProperty([1], 'toJSON', { value: () => 'x' })")),
            ("nested", object(&[("list", extra())])),
        ]);
        fake.settle().await;
        assert!(received(&remote).is_empty(), "nothing reached the other end");
    }

    /// Null, booleans, finite numbers, strings, arrays and plain objects of those cross, at any
    /// depth, whether the object's prototype is this realm's `Object.prototype`, another realm's,
    /// or null; they arrive as they were sent.
    async fn plain_objects_from_any_realm_are_allowed(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let record = r#"{"s":"é𝄞","n":-1.5,"big":1e+300,"b":false,"z":null,"list":[1,[2,{"deep":[]}]],"empty":{}}"#;
        let messages = [
            JsValue::NULL,
            true.into(),
            0.into(),
            "text".into(),
            parse(record),
            js("const o = Object.create(null); o.a = [1, { b: Object.create(null) }]; return o;"),
            in_other_realm(r#"w.JSON.parse('{"a":[1,{"b":null}]}')"#),
            in_other_realm("new w.Array(1, 2)"),
            in_other_realm("w.Object.create(null)"),
        ];
        for message in &messages {
            port.post(message).unwrap_or_else(|err| panic!("{:?}: {err}", jsons([message])));
        }
        fake.settle().await;
        assert_eq!(
            received(&remote),
            ["null", "true", "0", r#""text""#, record, r#"{"a":[1,{"b":{}}]}"#, r#"{"a":[1,{"b":null}]}"#, "[1,2]", "{}"]
        );
    }

    /// An object property holding `undefined` does not make a message unserializable: the
    /// message crosses, and the other side reads that property as undefined in both browsers
    /// (Chromium's JSON drops it, Firefox's structured clone keeps it).
    async fn nested_undefined_property_is_allowed(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let message = object(&[
            ("a", 1.into()),
            ("skip", JsValue::UNDEFINED),
            ("inner", object(&[("gone", JsValue::UNDEFINED), ("kept", "x".into())])),
            ("list", Array::of1(&object(&[("u", JsValue::UNDEFINED)])).into()),
        ]);
        port.post(&message).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#"{"a":1,"inner":{"kept":"x"},"list":[{}]}"#]);
        let got = remote.received().get(0);
        assert!(get(&got, "skip").is_undefined());
        assert!(get(&get(&got, "inner"), "gone").is_undefined());
    }

    /// A malformed id (Chromium throws at `connect`), a well-formed id nobody has, and the empty
    /// id all give the same outcome in both browsers: `Ok(port)`, posts accepted until the
    /// browser reports, then one `NoReceiver` disconnect on a later task, and `Disconnected` posts.
    async fn malformed_and_unknown_extension_ids_fail_the_same_way(fake) {
        let mut outcomes = Vec::new();
        for id in ["nonexistent@example.org", "ponmlkjihgfedcbaponmlkjihgfedcbb", ""] {
            let port = runtime::connect_external(id, &ConnectInfo::named("peer"))
                .unwrap_or_else(|err| panic!("{id:?}: connect_external failed at once: {err}"));
            assert_eq!(port.name(), "peer", "{id:?}");
            let (reasons, _guard) = record_disconnects(&port);
            let before = port.post(&"early".into());
            next_microtask().await;
            assert!(reasons.borrow().is_empty(), "{id:?}: reported before a later task");
            assert!(port.is_connected(), "{id:?}");
            fake.settle().await;
            let err = error_of(&reasons);
            let after = port.post(&"late".into()).map_err(|e| e.kind());
            outcomes.push((
                before.map_err(|e| e.kind()),
                err.kind(),
                port.is_connected(),
                port.error().map(|e| e.kind()),
                after,
            ));
        }
        let expected = (
            Ok(()),
            ErrorKind::NoReceiver,
            false,
            Some(ErrorKind::NoReceiver),
            Err(ErrorKind::Disconnected),
        );
        assert_eq!(outcomes, [expected; 3]);
    }

    /// The native host exiting is `NativeHostExited` in both browsers, though Chromium says
    /// "Native host has exited." and Firefox reports a clean disconnect (`port.error` null).
    async fn native_host_exit_is_native_host_exited(fake) {
        let port = runtime::connect_native("ping_pong").unwrap();
        let remote = fake.last_remote();
        let (reasons, _guard) = record_disconnects(&port);
        remote.exit_host();
        fake.settle().await;
        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::NativeHostExited, "{err}");
        assert_eq!(port.error().map(|e| e.kind()), Some(ErrorKind::NativeHostExited));
        assert!(!port.is_connected());
        if fake.is_chromium() {
            assert_eq!(err.message(), "Native host has exited.");
        } else {
            assert!(get(port.raw(), "error").is_null(), "Firefox saw a clean end");
        }
        let late = port.post(&"late".into()).unwrap_err();
        assert_eq!(late.kind(), ErrorKind::Disconnected);
    }

    /// A host name outside Chromium's rule (lowercase letters, digits, `_`, single inner dots) is
    /// `InvalidArgument` at once in both browsers, and the browser is never asked.
    async fn native_invalid_name_is_invalid_argument(fake) {
        for name in ["Bad-Name", "has space", "", ".x", "x.", "a..b", "Ping_pong", "ping/pong", "ping_pong\n"] {
            let err = runtime::connect_native(name).expect_err(name);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{name:?}: {err}");
        }
        assert_eq!(fake.opened(), 0, "nothing reached the browser");
        // The rule's edge: dotted lowercase names with digits and '_' go through.
        let port = runtime::connect_native("com.example_2.ping_pong").unwrap();
        assert_eq!(port.name(), "com.example_2.ping_pong");
        assert_eq!(fake.opened(), 1);
        fake.settle().await;
        let err = port.error().expect("the browser looked for it");
        assert_eq!(err.kind(), ErrorKind::NativeHostNotFound, "{err}");
    }

    /// A message to a native host whose JSON is over `MESSAGE_LIMIT` UTF-8 bytes is
    /// `MessageTooLarge` in both browsers and is not sent; exactly the limit is allowed.
    async fn native_oversized_post_is_message_too_large(fake) {
        let port = runtime::connect_native("ping_pong").unwrap();
        let remote = fake.last_remote();
        let limit = i32::try_from(MESSAGE_LIMIT).unwrap();
        // A string's JSON is its characters plus two quotes: this one is exactly the limit.
        let at_limit = js_sys::JsString::from("x").repeat(limit - 2);
        let over = at_limit.concat(&"x".into());
        let too_large = |what: &str, message: &JsValue| {
            let err = port.post(message).expect_err(what);
            assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{what}: {err}");
        };
        too_large("limit + 1 bytes", &over.clone().into());
        too_large("inside an object", &object(&[("t", at_limit.clone().into())]));
        // UTF-8 bytes, not UTF-16 units: "é" is 2 bytes, so half the limit in length is over it.
        let wide = js_sys::JsString::from("é").repeat(limit / 2);
        too_large("2-byte characters", &wide.into());
        fake.settle().await;
        assert!(received(&remote).is_empty(), "nothing reached the host");
        assert!(port.is_connected());

        // Exactly the limit passes the size check: on a port we closed, the browser's
        // Disconnected comes back instead (nothing is copied or sent).
        let closed = runtime::connect_native("ping_pong").unwrap();
        closed.disconnect().unwrap();
        let err = closed.post(&at_limit.into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected, "{err}");
        let err = closed.post(&over.into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");

        port.post(&"small".into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#""small""#]);
    }

    /// The host breaking the protocol (here: sending more than 1 MiB) is `NativeProtocolError`
    /// in both browsers: Chromium's "Error when communicating with the native messaging host."
    /// and Firefox's "Native application tried to send a message of N bytes…", words kept.
    async fn native_protocol_errors_are_classified(fake) {
        let port = runtime::connect_native("ping_pong").unwrap();
        let (reasons, _guard) = record_disconnects(&port);
        fake.last_remote().host_sends_oversized();
        fake.settle().await;
        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::NativeProtocolError, "{err}");
        let words = if fake.is_chromium() {
            "Error when communicating with the native messaging host."
        } else {
            "Native application tried to send a message of 1048577 bytes, which exceeds the limit of 1048576 bytes."
        };
        assert_eq!(err.message(), words);
        assert_eq!(port.error().map(|e| e.kind()), Some(ErrorKind::NativeProtocolError));
    }

    /// `OnConnect` with an allowlist hands ports from listed extension ids to `on_port`, open and
    /// talking both ways; `on_rejected` is not called.
    async fn allowlist_accepts_listed_ids(fake) {
        let (ports, on_port) = record_ports();
        let (rejected, mut on_rejected) = record_rejections();
        let guard = runtime::OnConnect::new()
            .external()
            .allowlist(Allowlist::new([PEER, PEER_CHROMIUM]))
            .on_rejected(move |r| on_rejected(r.into_sender()))
            .listen(on_port)
            .unwrap();
        assert_eq!(fake.on_connect_external_listener_count(), 1);
        let first = fake.dispatch_connect_external_from("first", PEER);
        let second = fake.dispatch_connect_external_from("second", PEER_CHROMIUM);
        assert_eq!(ports.borrow().len(), 2);
        let [a, b] = <[Port; 2]>::try_from(ports.borrow().clone()).unwrap();
        assert_eq!((a.name(), b.name()), ("first", "second"));
        assert_eq!(a.sender().and_then(|s| s.id).as_deref(), Some(PEER));
        assert_eq!(b.sender().and_then(|s| s.id).as_deref(), Some(PEER_CHROMIUM));

        let (log, _messages) = record_messages(&a);
        first.post(&"hello".into());
        a.post(&"welcome".into()).unwrap();
        b.post(&"welcome too".into()).unwrap();
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), [r#""hello""#]);
        assert_eq!(received(&first), [r#""welcome""#]);
        assert_eq!(received(&second), [r#""welcome too""#]);
        assert!(rejected.borrow().is_empty());
        for remote in [&first, &second] {
            assert_eq!(remote.disconnect_count(), 0);
            assert!(remote.library_open());
        }
        assert!(a.is_connected() && b.is_connected());
        drop(guard);
        assert_eq!(fake.on_connect_external_listener_count(), 0);
    }

    /// A port from any id not exactly in the list, or from a web page (no id), never reaches
    /// `on_port`: it is disconnected at once (the opener sees exactly one clean onDisconnect) and
    /// `on_rejected` gets its sender.
    async fn allowlist_rejects_and_disconnects_others(fake) {
        let (ports, on_port) = record_ports();
        let (rejected, mut on_rejected) = record_rejections();
        let _guard = runtime::OnConnect::new()
            .external()
            .allowlist(Allowlist::new([PEER]))
            .on_rejected(move |r| on_rejected(r.into_sender()))
            .listen(on_port)
            .unwrap();
        let strangers = ["stranger@example.org", "peer@example.org.evil", "peer@example", "PEER@example.org", ""];
        let mut remotes: Vec<Remote> = strangers
            .iter()
            .map(|id| fake.dispatch_connect_external_from("knock", id))
            .collect();
        remotes.push(fake.dispatch_connect_from_web_page("page"));
        assert!(ports.borrow().is_empty(), "no rejected port reached on_port");
        {
            let rejected = rejected.borrow();
            let ids: Vec<Option<String>> =
                rejected.iter().map(|s| s.as_ref().and_then(|s| s.id.clone())).collect();
            let mut expected: Vec<Option<String>> = strangers.iter().map(|id| Some(id.to_string())).collect();
            expected.push(None);
            assert_eq!(ids, expected);
            let page = rejected[5].as_ref().expect("the web page's sender");
            assert_eq!(page.url.as_deref(), Some("http://127.0.0.1:8000/page.html"));
        }
        fake.settle().await;
        for remote in &remotes {
            assert!(!remote.library_open(), "disconnected by the library");
            assert_eq!(remote.disconnect_count(), 1);
            assert_eq!(remote.disconnect_error(), None, "a clean disconnect");
        }
        fake.settle().await;
        assert!(remotes.iter().all(|r| r.disconnect_count() == 1), "exactly one onDisconnect");
        assert!(ports.borrow().is_empty());
    }

    /// A test of the fake, not of the library: on raw native ports, each browser's words (or
    /// Firefox's clean end) for a host that exits, sends too much, or has a name outside
    /// Chromium's rule.
    async fn fake_self_test_native_host_endings(fake) {
        let chromium = fake.is_chromium();
        let runtime = get(&get(&js_sys::global().into(), "chrome"), "runtime");
        let seen: Log<JsValue> = Log::default();
        let (sink, runtime_now) = (seen.clone(), runtime.clone());
        // What each onDisconnect saw: the error's message, or null for a clean end.
        let read = Closure::<dyn FnMut(JsValue)>::new(move |port: JsValue| {
            let error = if chromium { get(&runtime_now, "lastError") } else { get(&port, "error") };
            let message = if error.is_object() { get(&error, "message") } else { JsValue::NULL };
            sink.borrow_mut().push(message);
        });
        let open = |application: &str| {
            let port = call(&runtime, "connectNative", &[application.into()]).unwrap();
            call(&get(&port, "onDisconnect"), "addListener", &[read.as_ref().clone()]).unwrap();
        };
        open("ping_pong");
        fake.last_remote().exit_host();
        open("ping_pong");
        fake.last_remote().host_sends_oversized();
        open("Bad-Name");
        fake.settle().await;
        let expected: [JsValue; 3] = if chromium {
            [
                "Native host has exited.".into(),
                "Error when communicating with the native messaging host.".into(),
                "Invalid native messaging host name specified.".into(),
            ]
        } else {
            [
                JsValue::NULL,
                "Native application tried to send a message of 1048577 bytes, which exceeds the limit of 1048576 bytes.".into(),
                "No such native application Bad-Name".into(),
            ]
        };
        assert_eq!(*seen.borrow(), expected);
        drop(read);
    }
}

in_both_browsers! {
    /// A message over 64 MiB of JSON (Chromium's limit) is `MessageTooLarge` on an extension port
    /// too, before anything is sent, in both browsers (Firefox alone would deliver it); exactly the
    /// limit passes the check, and a small message is not stringified to find out.
    async fn extension_port_over_64_mib_is_message_too_large(fake) {
        let port = runtime::connect(&ConnectInfo::named("big")).unwrap();
        let remote = fake.last_remote();
        let limit = i32::try_from(MESSAGE_LIMIT).unwrap();
        let at_limit = js_sys::JsString::from("x").repeat(limit - 2);
        let over = at_limit.concat(&"x".into());
        for (what, message) in [
            ("a string of limit + 1 bytes", JsValue::from(over.clone())),
            ("inside an object", object(&[("t", at_limit.clone().into())])),
            ("inside an array", Array::of2(&at_limit.clone().into(), &1.into()).into()),
        ] {
            let err = port.post(&message).expect_err(what);
            assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{what}: {err}");
        }
        fake.settle().await;
        assert!(received(&remote).is_empty(), "nothing was sent");
        assert!(port.is_connected(), "a refused message leaves the port up");
        port.post(&object(&[("t", "small".into())])).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#"{"t":"small"}"#]);

        // A small object must not be stringified: a toJSON-free getter that counts its reads
        // is read once by the walk and once by the browser's copy, never by a JSON.stringify.
        let counted = js(
            "const o = { reads: 0 }; Object.defineProperty(o, 'v', { enumerable: true, \
             get() { o.reads += 1; return 1; } }); return o;",
        );
        port.post(&counted).unwrap();
        // Read once by the library's walk and once by the browser's copy: no JSON.stringify.
        assert_eq!(get(&counted, "reads").as_f64(), Some(2.0));
    }

    /// A refused message is read once, as a posted one is: the reason comes from the one walk
    /// that refused it (a getter that answered differently on a second read cannot change the
    /// outcome), and a post made from inside a getter, while the outer message is being checked,
    /// leaves the outer check intact.
    async fn a_refused_message_is_read_once(fake) {
        let port = runtime::connect(&ConnectInfo::named("once")).unwrap();
        let remote = fake.last_remote();
        let refused = js(
            "const o = { reads: 0 }; Object.defineProperty(o, 'v', { enumerable: true, \
             get() { o.reads += 1; return o.reads === 1 ? new Map() : 1; } }); return o;",
        );
        let err = port.post(&refused).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotSerializable, "{err}");
        assert!(err.message().contains("a Map at message.v"), "{err}");
        assert_eq!(get(&refused, "reads").as_f64(), Some(1.0), "read once");
        let throws_once = js(
            "const o = { reads: 0 }; Object.defineProperty(o, 'v', { enumerable: true, \
             get() { o.reads += 1; if (o.reads === 1) throw new Error('first read'); return 1; } }); \
             return o;",
        );
        let err = port.post(&throws_once).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotSerializable, "{err}");
        assert!(err.message().contains("throws when read (first read)"), "{err}");
        assert_eq!(get(&throws_once, "reads").as_f64(), Some(1.0), "read once");

        // A getter that posts: the nested check runs inside the outer one.
        let other = runtime::connect(&ConnectInfo::named("nested")).unwrap();
        let nested_remote = fake.last_remote();
        let inner = other.clone();
        let getter = Closure::<dyn FnMut() -> JsValue>::new(move || {
            let sent = inner.post(&object(&[("inner", 1.into())])).is_ok();
            JsValue::from(sent)
        });
        let outer = js("return { first: [1, 2] };");
        let descriptor = object(&[("enumerable", true.into()), ("get", getter.as_ref().clone())]);
        Object::define_property(outer.unchecked_ref::<Object>(), &"posts".into(), descriptor.unchecked_ref::<Object>());
        js_sys::Reflect::set(&outer, &"last".into(), &js("return new Set();")).unwrap();
        let err = port.post(&outer).unwrap_err();
        assert!(err.message().contains("a Set at message.last"), "{err}");
        let good = js("return { first: [1, 2] };");
        Object::define_property(good.unchecked_ref::<Object>(), &"posts".into(), descriptor.unchecked_ref::<Object>());
        port.post(&good).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#"{"first":[1,2],"posts":true}"#]);
        assert_eq!(
            received(&nested_remote),
            [r#"{"inner":1}"#, r#"{"inner":1}"#, r#"{"inner":1}"#],
            "one post per read of the getter: the outer walks (refused, posted) and the browser's copy"
        );
        drop(getter);
    }

    /// Chromium's current wording for the limit (and the older one) classify as MessageTooLarge:
    /// when the browser throws it, the library reports that kind.
    async fn browser_size_wordings_are_message_too_large(fake) {
        let _ = &fake;
        for words in [
            "Message exceeded maximum allowed size of 64MiB.",
            "Message length exceeded maximum allowed length.",
        ] {
            assert_eq!(PortError::from_browser_message(words).kind(), ErrorKind::MessageTooLarge);
        }
    }

    /// `tabs.connect` reaches every frame of the tab whose content script listens, through one
    /// port: a post arrives in each frame, each frame's reply arrives; `frame_id` narrows it.
    async fn tabs_connect_reaches_every_frame(fake) {
        fake.set_frames(1, vec![0, 7]);
        let port = tabs::connect(1, &tabs::ConnectInfo::named("all-frames")).unwrap();
        let (log, _guard) = record_messages(&port);
        let frames = fake.all_remotes();
        assert_eq!(frames.len(), 2, "one far end per frame");
        port.post(&"to every frame".into()).unwrap();
        frames[0].post(&"from frame 0".into());
        frames[1].post(&"from frame 7".into());
        fake.settle().await;
        for frame in &frames {
            assert_eq!(received(frame), [r#""to every frame""#]);
        }
        assert_eq!(jsons(log.borrow().iter()), [r#""from frame 0""#, r#""from frame 7""#]);

        let one = tabs::connect(1, &tabs::ConnectInfo::named("one").frame_id(7)).unwrap();
        assert_eq!(fake.all_remotes().len(), 3, "frame_id reaches one frame");
        one.post(&"only 7".into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&fake.last_remote()), [r#""only 7""#]);
        assert_eq!(received(&frames[1]), [r#""to every frame""#]);
    }

    /// One of two receiving frames goes away: what each browser does to the opener's port, as
    /// measured (Chromium keeps it while a frame remains; Firefox closes it, cleanly).
    async fn tabs_connect_frame_leaving_follows_the_browser(fake) {
        fake.set_frames(1, vec![0, 7]);
        let port = tabs::connect(1, &tabs::ConnectInfo::named("all-frames")).unwrap();
        let (reasons, _guard) = record_disconnects(&port);
        let frames = fake.all_remotes();
        frames[1].disconnect();
        fake.settle().await;
        if fake.is_chromium() {
            assert!(port.is_connected());
            assert!(reasons.borrow().is_empty());
            port.post(&"still here".into()).unwrap();
            fake.settle().await;
            assert_eq!(received(&frames[0]), [r#""still here""#]);
            frames[0].disconnect();
            fake.settle().await;
        }
        assert_eq!(*reasons.borrow(), [Disconnect::Clean]);
        assert!(!port.is_connected());
    }

    /// A content script has no `tabs`, no `connectNative`, no `onConnectExternal`: each entry point
    /// says so with `Unsupported` and a message true for a content script; the rest work.
    async fn content_script_context_has_one_kind_per_entry_point(fake) {
        fake.become_content_script();
        let err = tabs::connect(1, &tabs::ConnectInfo::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.message().contains("content scripts have no tabs API"), "{err}");
        let err = runtime::connect_native("ping_pong").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.message().contains("content scripts cannot use native messaging"), "{err}");
        let err = runtime::on_connect_external(|_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert_eq!(fake.opened(), 0);
        let port = runtime::connect(&ConnectInfo::named("cs")).unwrap();
        let _listener = runtime::on_connect(|_| {}).unwrap();
        port.post(&1.into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&fake.last_remote()), ["1"]);
    }

    /// Without `chrome`/`browser` (a page with no extension API) every entry point, including
    /// `connect_external`, is `NotInExtension`.
    async fn page_without_extension_api_is_not_in_extension_everywhere(fake) {
        uninstall_fake();
        let err = runtime::connect_external(PEER, &ConnectInfo::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotInExtension);
        let err = runtime::on_connect_external(|_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotInExtension);
        assert_eq!(fake.opened(), 0);
    }
}

/// A web page on an `externally_connectable` origin (Chromium's shape; Firefox gives web pages
/// no runtime, which `page_without_extension_api_is_not_in_extension_everywhere` covers):
/// everything an extension context does is `NotInExtension` with a message that says why, and
/// `connect_external` to the extension keeps working.
#[wasm_bindgen_test]
async fn web_page_with_externally_connectable_can_only_connect_external() {
    let fake = Fake {
        controller: install_web_page(),
        flavor: "chromium",
    };
    let kind = |r: Result<Port, PortError>| r.unwrap_err();
    for err in [
        kind(runtime::connect(&ConnectInfo::named("x"))),
        kind(runtime::connect_native("ping_pong")),
        kind(tabs::connect(1, &tabs::ConnectInfo::new())),
        runtime::on_connect(|_| {}).unwrap_err(),
        runtime::on_connect_external(|_| {}).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotInExtension, "{err}");
        assert!(err.message().contains("web page"), "{err}");
    }
    assert_eq!(fake.opened(), 0, "nothing reached the browser");
    let extension_id = fake.extension_id();
    let port = runtime::connect_external(&extension_id, &ConnectInfo::named("from-page")).unwrap();
    port.post(&"hello extension".into()).unwrap();
    fake.settle().await;
    assert_eq!(received(&fake.last_remote()), [r#""hello extension""#]);
    fake.finish().await;
}

/// Chromium throws "Extension context invalidated." synchronously from `postMessage` and
/// `disconnect` once the extension is reloaded under a content script: both reach
/// `ContextInvalidated`, never a JS throw. (Firefox was not measured; its fake refuses.)
#[wasm_bindgen_test]
async fn context_invalidated_throw_is_context_invalidated() {
    let fake = Fake::install("chromium");
    let port = runtime::connect(&ConnectInfo::named("cs")).unwrap();
    port.post(&"before".into()).unwrap();
    fake.invalidate_context();
    let err = port.post(&"after".into()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextInvalidated, "{err}");
    assert_eq!(err.message(), "Extension context invalidated.");
    let err = port.disconnect().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextInvalidated, "{err}");
    fake.settle().await;
    assert_eq!(received(&fake.last_remote()), [r#""before""#]);
    fake.finish().await;
}
/// Chromium 156, extension reloaded under a content script (measured): `runtime.id` turns
/// undefined while `chrome.runtime` (with `getURL`) stays, and `runtime.connect` no longer
/// throws. Every entry point says `ContextInvalidated` before calling the browser; a web page
/// (no `id`, no `getURL`) still says `NotInExtension` (see the web-page tests).
#[wasm_bindgen_test]
async fn orphaned_content_script_is_context_invalidated() {
    let fake = Fake::install("chromium");
    runtime::connect(&ConnectInfo::named("before")).unwrap();
    fake.invalidate_context();
    let err = runtime::connect(&ConnectInfo::named("after")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextInvalidated, "{err}");
    let err = runtime::connect_external("abcdefghijklmnopabcdefghijklmnop", &ConnectInfo::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextInvalidated, "{err}");
    let err = runtime::on_connect(|_| {}).map(drop).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextInvalidated, "{err}");
    fake.finish().await;
}

/// Counts how many of its copies were dropped: captured by a closure, it tells when the closure
/// was freed.
struct DropCounter(Rc<std::cell::Cell<u32>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn drop_counter() -> (Rc<std::cell::Cell<u32>>, DropCounter) {
    let count = Rc::new(std::cell::Cell::new(0));
    (count.clone(), DropCounter(count))
}

/// A value serde refuses to encode.
struct Unencodable;

impl serde::Serialize for Unencodable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this value refuses to be encoded",
        ))
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Greeting {
    text: String,
    count: u32,
    tags: Vec<String>,
    reply_to: Option<u32>,
}

/// The next item of `stream` if it is ready now (never waits: a test that would hang fails).
fn ready_next<S: futures::Stream + Unpin>(stream: &mut S) -> Option<Option<S::Item>> {
    futures::FutureExt::now_or_never(futures::StreamExt::next(stream))
}

in_both_browsers! {
    /// Every handle of one browser port is one `Port`: two `onConnect` listeners get equal ports
    /// with one id, different ports differ, and `Port` works as a `HashMap` key.
    async fn port_identity_follows_the_browser_port(fake) {
        let (first, handler_a) = record_ports();
        let (second, handler_b) = record_ports();
        let _a = runtime::on_connect(handler_a).unwrap();
        let _b = runtime::on_connect(handler_b).unwrap();
        let remote_one = fake.dispatch_connect("one");
        fake.dispatch_connect("two");
        // Both listeners wrapped one browser port: one core, so one JS listener each way.
        assert_eq!(remote_one.listener_count("onMessage"), 1);
        assert_eq!(remote_one.listener_count("onDisconnect"), 1);
        let (one, two) = (first.borrow()[0].clone(), first.borrow()[1].clone());
        assert_eq!(one, second.borrow()[0], "same browser port, same Port");
        assert_eq!(one.id(), second.borrow()[0].id());
        assert_ne!(one, two);
        assert_ne!(one.id(), two.id());
        let wrapped_again = Port::from_raw(one.raw().clone()).unwrap();
        assert_eq!(wrapped_again, one);

        // Clippy sees the RefCells inside; `Hash`/`Eq` read only the immutable id.
        #[allow(clippy::mutable_key_type)]
        let mut names = std::collections::HashMap::new();
        names.insert(one.clone(), "one");
        names.insert(two.clone(), "two");
        names.insert(second.borrow()[0].clone(), "one again");
        assert_eq!(names.len(), 2);
        assert_eq!(names[&one], "one again");
        assert_eq!(names[&two], "two");
        let by_id: std::collections::HashSet<_> =
            [one.id(), two.id(), second.borrow()[0].id()].into_iter().collect();
        assert_eq!(by_id.len(), 2);

        // One core: a listener added through one handle hears what the other handle's port gets,
        // and a message to port two does not reach port one.
        let (log, _guard) = record_messages(&second.borrow()[0]);
        remote_one.post(&"to one".into());
        fake.last_remote().post(&"to two".into());
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), [r#""to one""#]);
        assert_eq!(remote_one.listener_count("onMessage"), 1);
    }

    /// A message that does not decode is an `Err(DecodeFailed)` carrying the message as it
    /// arrived; the port stays up and the next message decodes.
    async fn decode_error_keeps_the_port_up_and_carries_the_raw_value(fake) {
        let port = runtime::connect(&ConnectInfo::named("typed")).unwrap();
        let typed = port.typed::<u32, u32>();
        let remote = fake.last_remote();
        let log: Log<Result<u32, PortError>> = Log::default();
        let sink = log.clone();
        let _guard = typed.on_message(move |m| sink.borrow_mut().push(m));
        // The wire format is the value's JSON text, as a string: "7" is 7.
        remote.post(&"not a number".into());
        remote.post(&7.into());
        remote.post(&"7".into());
        fake.settle().await;
        let results = log.borrow().clone();
        assert_eq!(results.len(), 3, "{results:?}");
        let err = results[0].clone().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DecodeFailed);
        assert_eq!(err.raw_value(), Some("not a number"));
        let same_words = PortError::new(ErrorKind::DecodeFailed, err.message());
        assert_eq!(err, same_words, "equality ignores the raw value");
        assert!(same_words.raw_value().is_none());
        let not_text = results[1].clone().unwrap_err();
        assert_eq!(not_text.kind(), ErrorKind::DecodeFailed, "a bare number is no typed message");
        assert_eq!(not_text.raw_value(), Some("7"), "kept as its JSON");
        assert_eq!(results[2], Ok(7));
        if !fake.is_chromium() {
            // Firefox's structured clone carries a BigInt, which has no JSON: kept as
            // `String(value)`.
            remote.post(&js_sys::BigInt::from(9).into());
            fake.settle().await;
            let err = log.borrow()[3].clone().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DecodeFailed);
            assert_eq!(err.raw_value(), Some("9"), "kept as String(value)");
        }
        assert!(port.is_connected());
        assert_eq!(remote.disconnect_count(), 0);
        typed.send(&8).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#""8""#]);
    }

    /// A serde value goes out and comes back as the same value; one that cannot be encoded is an
    /// `Err(NotSerializable)` and nothing is posted.
    async fn typed_round_trip_through_the_fake(fake) {
        let port = runtime::connect(&ConnectInfo::named("typed")).unwrap();
        let remote = fake.last_remote();
        let typed = port.typed::<Greeting, Greeting>();
        let hello = Greeting {
            text: "hello 🦀".into(),
            count: 3,
            tags: vec!["a".into(), "b".into()],
            reply_to: None,
        };
        typed.send(&hello).unwrap();
        fake.settle().await;
        // On the wire: the JSON text, all ASCII (non-ASCII escaped), as one JS string.
        assert_eq!(
            remote.received().get(0).as_string().as_deref(),
            Some(r#"{"text":"hello \ud83e\udd80","count":3,"tags":["a","b"],"reply_to":null}"#)
        );
        let mut replies = typed.messages();
        remote.post(&remote.received().get(0));
        fake.settle().await;
        assert_eq!(ready_next(&mut replies), Some(Some(Ok(hello))));

        let refused = port.typed::<u32, Unencodable>().send(&Unencodable).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::NotSerializable);
        assert!(refused.message().contains("refuses"), "{refused}");
        fake.settle().await;
        assert_eq!(remote.received().length(), 1, "nothing more was posted");
    }

    /// A stream yields what arrives and ends (`None`) when the other side leaves; the reason is
    /// still readable from the stream and the port.
    async fn stream_ends_on_disconnect_with_its_reason(fake) {
        let port = runtime::connect(&ConnectInfo::named("s")).unwrap();
        let remote = fake.last_remote();
        let mut messages = port.messages();
        assert_eq!(ready_next(&mut messages), None, "pending while connected");
        remote.post(&1.into());
        remote.post(&2.into());
        remote.fail("Extension context invalidated.");
        fake.settle().await;
        assert_eq!(ready_next(&mut messages), Some(Some(JsValue::from(1))));
        assert_eq!(ready_next(&mut messages), Some(Some(JsValue::from(2))));
        assert_eq!(ready_next(&mut messages), Some(None));
        let reason = messages.reason().expect("closed");
        assert_eq!(reason.error().map(|e| e.kind()), Some(ErrorKind::ContextInvalidated));
        assert_eq!(port.error().map(|e| e.kind()), Some(ErrorKind::ContextInvalidated));

        // A clean end, and our own disconnect, both end a typed stream too.
        let clean = runtime::connect(&ConnectInfo::named("c")).unwrap();
        let mut typed = clean.typed::<u32, u32>().messages();
        fake.last_remote().disconnect();
        fake.settle().await;
        assert!(matches!(ready_next(&mut typed), Some(None)));
        assert_eq!(typed.reason(), Some(Disconnect::Clean));
        assert_eq!(clean.state(), State::ClosedThere(Disconnect::Clean));

        let own = runtime::connect(&ConnectInfo::named("o")).unwrap();
        let mut own_messages = own.messages();
        own.disconnect().unwrap();
        assert_eq!(ready_next(&mut own_messages), Some(None));
        assert_eq!(own_messages.reason(), Some(Disconnect::Local));
        assert_eq!(own.state(), State::ClosedHere);
    }

    /// A stream fed 1000 messages before it is first polled yields every one, in order.
    async fn stream_fed_before_it_is_polled_keeps_every_message_in_order(fake) {
        let port = runtime::connect(&ConnectInfo::named("s")).unwrap();
        let remote = fake.last_remote();
        let mut messages = port.typed::<u32, u32>().messages();
        for i in 0..1000u32 {
            remote.post(&i.to_string().into());
        }
        fake.settle().await;
        remote.disconnect();
        fake.settle().await;
        let mut seen = Vec::new();
        while let Some(Some(item)) = ready_next(&mut messages) {
            seen.push(item.unwrap());
        }
        assert_eq!(seen, (0..1000).collect::<Vec<u32>>());
        assert_eq!(ready_next(&mut messages).map(|m| m.is_none()), Some(true));
    }

    /// `split()` halves work on their own: the sink posts after the stream is dropped, the
    /// stream reads after the sink is dropped; closing the sink disconnects.
    async fn split_halves_work_independently(fake) {
        use futures::SinkExt;
        let port = runtime::connect(&ConnectInfo::named("s")).unwrap();
        let remote = fake.last_remote();
        let (mut tx, rx) = port.split();
        drop(rx);
        tx.send("from the sink".into()).await.unwrap();
        let (tx2, mut rx2) = port.typed::<String, String>().split();
        drop(tx2);
        remote.post(&r#""to the stream""#.into());
        fake.settle().await;
        assert_eq!(received(&remote), [r#""from the sink""#]);
        assert_eq!(ready_next(&mut rx2), Some(Some(Ok("to the stream".to_owned()))));
        tx.close().await.unwrap();
        assert_eq!(port.state(), State::ClosedHere);
        fake.settle().await;
        assert_eq!(remote.disconnect_count(), 1);
        assert_eq!(ready_next(&mut rx2).map(|m| m.is_none()), Some(true));
        let err = tx.send("late".into()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected);
    }

    /// `closed()` resolves with how the connection ended, whoever ended it.
    async fn closed_resolves_with_the_reason(fake) {
        let port = runtime::connect(&ConnectInfo::named("c")).unwrap();
        let closed = port.closed();
        fake.last_remote().disconnect();
        assert_eq!(closed.await, Disconnect::Clean);

        fake.set_receiver(false);
        let failed = runtime::connect(&ConnectInfo::named("f")).unwrap();
        let reason = failed.closed().await;
        assert_eq!(reason.error().map(|e| e.kind()), Some(ErrorKind::NoReceiver));
        fake.set_receiver(true);

        let own = runtime::connect(&ConnectInfo::named("o")).unwrap();
        let pending = own.closed();
        own.disconnect().unwrap();
        assert_eq!(futures::FutureExt::now_or_never(pending), Some(Disconnect::Local));
    }

    /// The `on_disconnect` callback belongs to the connection: it fires once after every `Port`
    /// handle was dropped (and the handle it returned too), and is freed with the connection.
    async fn on_disconnect_fires_after_every_handle_was_dropped(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let (freed, token) = drop_counter();
        let reasons: Log<Disconnect> = Log::default();
        let sink = reasons.clone();
        let handle = port.on_disconnect(move |reason| {
            let _keep = &token;
            sink.borrow_mut().push(reason);
        });
        drop(handle);
        drop(port);
        fake.settle().await;
        assert_eq!(remote.listener_count("onDisconnect"), 1, "still listening");
        assert_eq!(freed.get(), 0);
        remote.disconnect();
        fake.settle().await;
        assert_eq!(*reasons.borrow(), [Disconnect::Clean]);
        assert_eq!(freed.get(), 1, "the callback was freed after it fired");
        assert_eq!(remote.listener_count("onDisconnect"), 0, "the connection let itself go");
        assert_eq!(remote.listener_count("onMessage"), 0);
    }

    /// `cancel()` removes an `on_disconnect` callback (and frees it); the others still fire.
    async fn cancel_removes_an_on_disconnect_callback(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let (freed, token) = drop_counter();
        let cancelled = port.on_disconnect(move |_| {
            let _keep = &token;
            panic!("a cancelled callback must not run");
        });
        let (reasons, _kept) = record_disconnects(&port);
        cancelled.cancel();
        assert_eq!(freed.get(), 1);
        fake.last_remote().disconnect();
        fake.settle().await;
        assert_eq!(*reasons.borrow(), [Disconnect::Clean]);
    }

    /// `forget()` keeps a message listener after its guard and every handle are gone, until the
    /// port disconnects; then the closure is freed and the JS listeners removed.
    async fn forgotten_listener_lives_until_disconnect(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let (freed, token) = drop_counter();
        let log: Log<JsValue> = Log::default();
        let sink = log.clone();
        port.on_message(move |m| {
            let _keep = &token;
            sink.borrow_mut().push(m);
        })
        .forget();
        drop(port);
        remote.post(&"still heard".into());
        fake.settle().await;
        assert_eq!(jsons(log.borrow().iter()), [r#""still heard""#]);
        assert_eq!(freed.get(), 0);
        remote.disconnect();
        fake.settle().await;
        assert_eq!(freed.get(), 1, "freed at the disconnect");
        assert_eq!(remote.listener_count("onMessage"), 0);
        assert_eq!(remote.listener_count("onDisconnect"), 0);
    }

    /// After a disconnect (either side) every closure the port holds is freed, even while the
    /// user still holds the port and the guards: nothing can call them any more.
    async fn closures_are_freed_after_disconnect(fake) {
        for ours in [false, true] {
            let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
            let remote = fake.last_remote();
            let (freed, token) = drop_counter();
            let (freed_too, token_too) = drop_counter();
            let guard = port.on_message(move |_| {
                let _keep = &token;
            });
            let _handle = port.on_disconnect(move |_| {
                let _keep = &token_too;
            });
            let stream = port.messages();
            if ours {
                port.disconnect().unwrap();
            } else {
                remote.disconnect();
            }
            fake.settle().await;
            assert_eq!((freed.get(), freed_too.get()), (1, 1), "ours: {ours}");
            drop((guard, stream));
            assert!(!port.is_connected());
        }
    }

    /// Callbacks that hold their own port (the usual way to reply) form a cycle; the disconnect
    /// breaks it: once the other side leaves, the port's JS listeners are gone, so the core, its
    /// closures and the handles inside them were all freed.
    async fn callbacks_holding_their_port_do_not_leak_it(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        let (freed, token) = drop_counter();
        let (replier, closer) = (port.clone(), port.clone());
        port.on_message(move |m| {
            let _ = replier.post(&m);
        })
        .forget();
        let guard = port.on_message(move |_| {
            let _keep = &token;
        });
        port.on_disconnect(move |_| {
            let _ = closer.post(&"too late".into());
        });
        let stream = port.messages();
        drop(port);
        remote.post(&"echo".into());
        fake.settle().await;
        assert_eq!(received(&remote), [r#""echo""#]);
        remote.disconnect();
        fake.settle().await;
        assert_eq!(freed.get(), 1);
        drop((guard, stream));
        fake.settle().await;
        assert_eq!(remote.listener_count("onMessage"), 0, "the core was freed");
        assert_eq!(remote.listener_count("onDisconnect"), 0);
    }

    /// After our own `disconnect()` nothing more is delivered, not even backlog messages that
    /// arrived before it but were not handed out yet; streams end at once.
    async fn nothing_is_delivered_after_our_own_disconnect(fake) {
        let port = runtime::connect(&ConnectInfo::named("p")).unwrap();
        let remote = fake.last_remote();
        remote.post(&1.into());
        remote.post(&2.into());
        fake.settle().await;
        let (log, _guard) = record_messages(&port);
        let mut stream = port.messages();
        port.disconnect().unwrap();
        fake.settle().await;
        assert!(log.borrow().is_empty(), "{:?}", jsons(log.borrow().iter()));
        assert_eq!(ready_next(&mut stream), Some(None));
    }

    /// Up to `BACKLOG_LIMIT` early messages are kept; the next one closes the port with
    /// `BacklogOverflow` (the other side sees a clean disconnect), and the kept messages still
    /// reach a listener added later, in order.
    async fn backlog_overflow_gives_the_typed_error(fake) {
        let full = runtime::connect(&ConnectInfo::named("full")).unwrap();
        let full_remote = fake.last_remote();
        let port = runtime::connect(&ConnectInfo::named("over")).unwrap();
        let remote = fake.last_remote();
        let (reasons, _handle) = record_disconnects(&port);
        let closed = port.closed();
        for i in 0..BACKLOG_LIMIT {
            full_remote.post(&(i as u32).into());
            remote.post(&(i as u32).into());
        }
        remote.post(&"one too many".into());
        fake.settle().await;
        assert!(full.is_connected(), "exactly BACKLOG_LIMIT is fine");

        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::BacklogOverflow);
        assert_eq!(err.kind().to_string(), "backlog_overflow");
        assert_eq!(port.error().map(|e| e.kind()), Some(ErrorKind::BacklogOverflow));
        assert!(matches!(port.state(), State::Failed(_)));
        assert_eq!(closed.await.error().map(|e| e.kind()), Some(ErrorKind::BacklogOverflow));
        assert_eq!(remote.disconnect_count(), 1);
        assert_eq!(remote.disconnect_error(), None, "the other side sees a clean disconnect");

        let mut late = port.messages();
        fake.settle().await;
        let mut kept = 0;
        while let Some(Some(message)) = ready_next(&mut late) {
            assert_eq!(message, JsValue::from(kept));
            kept += 1;
        }
        assert_eq!(kept as usize, BACKLOG_LIMIT);
        assert_eq!(late.reason().and_then(|r| r.error().map(|e| e.kind())), Some(ErrorKind::BacklogOverflow));
        drop(full);
    }
}

in_both_browsers! {
    /// A native host reads JSON itself: on a `connectNative` port a typed message is the JSON
    /// value (an object here), not its text; what the host sends back decodes from its JSON; and
    /// what a JS number cannot carry exactly (beyond 2^53, -0.0) is refused before posting.
    async fn typed_native_ports_carry_json_values(fake) {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Command {
            cmd: String,
            n: u64,
        }
        let port = runtime::connect_native("ping_pong").unwrap();
        let remote = fake.last_remote();
        let host = port.typed::<Command, Command>();
        host.send(&Command { cmd: "echo".into(), n: 7 }).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [r#"{"cmd":"echo","n":7}"#], "an object, not a string");
        assert!(remote.received().get(0).is_object());

        let mut replies = host.messages();
        remote.post(&parse(r#"{"cmd":"pong","n":8}"#));
        remote.post(&"not a command".into());
        fake.settle().await;
        let reply = ready_next(&mut replies);
        assert_eq!(reply, Some(Some(Ok(Command { cmd: "pong".into(), n: 8 }))));
        let err = ready_next(&mut replies).and_then(|r| r).unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DecodeFailed);
        assert_eq!(err.raw_value(), Some("not a command"));

        for (what, refused) in [
            ("2^53", host.send(&Command { cmd: "big".into(), n: 1 << 53 })),
            ("u64::MAX", host.send(&Command { cmd: "big".into(), n: u64::MAX })),
        ] {
            let err = refused.expect_err(what);
            assert_eq!(err.kind(), ErrorKind::NotSerializable, "{what}: {err}");
        }
        let err = port.typed::<f64, f64>().send(&-0.0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotSerializable, "{err}");
        host.send(&Command { cmd: "safe".into(), n: (1 << 53) - 1 }).unwrap();
        fake.settle().await;
        assert_eq!(remote.received().length(), 2, "only the exact ones were posted");
    }
}
