//! Layer 2 for opt-in batching (`Port::batched`), under both fakes: the posts of one task are
//! one browser message, the receiving end splits them in order, and errors and disconnects are
//! reported, never dropped.
#![cfg(target_arch = "wasm32")]

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use webext_port::{runtime, ConnectInfo, Disconnect, ErrorKind, Port, State, ENVELOPE_KEY};

wasm_bindgen_test_configure!(run_in_browser);

#[macro_use]
mod support;
use support::*;

/// `{"webext-port/batch": items}` from a JSON array text.
fn envelope(items: &str) -> JsValue {
    object(&[(ENVELOPE_KEY, parse(items))])
}

/// Joins the far ends of two library ports (what one posts, the other receives; a disconnect on
/// one side reaches the other), and returns (client, server).
fn connected_pair(fake: &Fake) -> (Port, Port) {
    let client = runtime::connect(&ConnectInfo::named("pair")).unwrap();
    let client_remote = fake.last_remote();
    let received = std::rc::Rc::new(std::cell::RefCell::new(None));
    let sink = received.clone();
    let guard = runtime::on_connect(move |port| *sink.borrow_mut() = Some(port)).unwrap();
    let server_remote = fake.dispatch_connect("pair");
    drop(guard);
    let server = received
        .borrow_mut()
        .take()
        .expect("onConnect delivered the port");
    js_sys::Function::new_with_args(
        "a, b",
        "a.port.onMessage.addListener((m) => b.post(m));
         b.port.onMessage.addListener((m) => a.post(m));
         a.port.onDisconnect.addListener(() => b.disconnect());
         b.port.onDisconnect.addListener(() => a.disconnect());",
    )
    .call2(
        &JsValue::NULL,
        client_remote.as_ref(),
        server_remote.as_ref(),
    )
    .expect("bridge");
    (client, server)
}

/// Makes the browser refuse every later post on `port` with Chromium's size error.
fn refuse_posts(port: &Port) {
    js_sys::Function::new_with_args(
        "port",
        "port.postMessage = () => { throw new Error('Message length exceeded maximum allowed length.'); };",
    )
    .call1(&JsValue::NULL, port.raw())
    .expect("the snippet runs");
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Step {
    n: u32,
}

in_both_browsers! {
    /// 100 posts in one task reach the browser as one message: an envelope of all 100, in order.
    async fn posts_in_one_task_are_one_browser_message(fake) {
        let port = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        let remote = fake.last_remote();
        for n in 0..100 {
            port.post(&JsValue::from(n)).unwrap();
        }
        assert_eq!(remote.received().length(), 0, "nothing leaves before the task ends");
        fake.settle().await;
        let expected: Vec<String> = (0..100).map(|n| n.to_string()).collect();
        assert_eq!(
            received(&remote),
            [format!(r#"{{"{ENVELOPE_KEY}":[{}]}}"#, expected.join(","))]
        );
    }

    /// Posts in two tasks are two browser messages; a port that does not batch posts each alone.
    async fn each_task_flushes_its_own_batch(fake) {
        let port = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        let remote = fake.last_remote();
        port.post(&"a".into()).unwrap();
        port.post(&"b".into()).unwrap();
        fake.settle().await;
        port.post(&"c".into()).unwrap();
        fake.settle().await;
        let key = ENVELOPE_KEY;
        assert_eq!(
            received(&remote),
            [format!(r#"{{"{key}":["a","b"]}}"#), format!(r#"{{"{key}":["c"]}}"#)]
        );
        let plain = runtime::connect(&ConnectInfo::named("plain")).unwrap();
        let plain_remote = fake.last_remote();
        assert!(!plain.is_batched() && port.is_batched());
        plain.post(&"a".into()).unwrap();
        plain.post(&"b".into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&plain_remote), [r#""a""#, r#""b""#]);
    }

    /// A batched port splits envelopes in order and still takes plain messages; a port that did
    /// not opt in hands the envelope over as it is (visible, not silently reinterpreted).
    async fn the_receiver_splits_batches_in_order(fake) {
        let port = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        let remote = fake.last_remote();
        let (log, _guard) = record_messages(&port);
        remote.post(&envelope("[1, 2, 3]"));
        remote.post(&JsValue::from(4));
        remote.post(&envelope(r#"[{"webext-port/batch": [5]}]"#));
        fake.settle().await;
        assert_eq!(
            jsons(log.borrow().iter()),
            ["1", "2", "3", "4", r#"{"webext-port/batch":[5]}"#]
        );
        let plain = runtime::connect(&ConnectInfo::named("plain")).unwrap();
        let plain_remote = fake.last_remote();
        let (plain_log, _plain_guard) = record_messages(&plain);
        plain_remote.post(&envelope("[1, 2]"));
        fake.settle().await;
        assert_eq!(jsons(plain_log.borrow().iter()), [r#"{"webext-port/batch":[1,2]}"#]);
    }

    /// Typed, both ends batched: 50 values in one task arrive as 50 values, in order; a value
    /// that does not decode is one Err among them, and the port stays up.
    async fn typed_values_cross_batched_in_order_with_their_errors(fake) {
        let (client, server) = connected_pair(&fake);
        let client = client.batched();
        let server = server.batched().typed::<Step, Step>();
        let log = Log::default();
        let sink = log.clone();
        let _guard = server.on_message(move |step| sink.borrow_mut().push(step.map_err(|e| e.kind())));
        let typed = client.clone().typed::<Step, Step>();
        for n in 0..25 {
            typed.send(&Step { n }).unwrap();
        }
        client.post(&JsValue::from_str("not a step")).unwrap();
        for n in 25..50 {
            typed.send(&Step { n }).unwrap();
        }
        fake.settle().await;
        let got = log.borrow();
        assert_eq!(got.len(), 51);
        assert_eq!(got[25], Err(ErrorKind::DecodeFailed));
        let steps: Vec<u32> = got.iter().filter_map(|s| s.as_ref().ok().map(|s| s.n)).collect();
        assert_eq!(steps, (0..50).collect::<Vec<_>>());
        assert!(server.port().is_connected() && client.is_connected());
    }

    /// A message's own errors are immediate and queue nothing; so is a post after either side
    /// disconnected.
    async fn errors_are_reported_at_the_post(fake) {
        let port = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        let remote = fake.last_remote();
        let err = port.post(&js("return () => 1;")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotSerializable);
        let typed = port.clone().typed::<f64, f64>();
        assert_eq!(typed.send(&f64::NAN).unwrap_err().kind(), ErrorKind::NotSerializable);
        port.post(&"ok".into()).unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [format!(r#"{{"{ENVELOPE_KEY}":["ok"]}}"#)]);
        remote.disconnect();
        fake.settle().await;
        assert_eq!(port.post(&"late".into()).unwrap_err().kind(), ErrorKind::Disconnected);
        assert_eq!(port.flush(), Ok(()), "nothing was queued");

        let mine = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        mine.disconnect().unwrap();
        assert_eq!(mine.post(&"late".into()).unwrap_err().kind(), ErrorKind::Disconnected);
    }

    /// Posts queued when we disconnect in the same task are sent first, then the disconnect.
    async fn our_disconnect_sends_what_is_queued_first(fake) {
        let port = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        let remote = fake.last_remote();
        for n in 0..3 {
            port.post(&JsValue::from(n)).unwrap();
        }
        port.disconnect().unwrap();
        fake.settle().await;
        assert_eq!(received(&remote), [format!(r#"{{"{ENVELOPE_KEY}":[0,1,2]}}"#)]);
        assert_eq!(remote.disconnect_count(), 1);
        assert_eq!(port.state(), State::ClosedHere);
    }

    /// The browser refuses a queued batch: nothing is dropped silently. The port closes (the
    /// other end sees a clean disconnect) and reports the browser's error with the count.
    async fn a_refused_batch_closes_the_port_and_says_how_many(fake) {
        let port = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        let remote = fake.last_remote();
        let (reasons, _cancel) = record_disconnects(&port);
        port.post(&"one".into()).unwrap();
        port.post(&"two".into()).unwrap();
        refuse_posts(&port);
        fake.settle().await;
        let err = error_of(&reasons);
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
        assert!(err.message().starts_with("2 batched messages not sent"), "{err}");
        assert_eq!(port.state(), State::Failed(err.clone()));
        assert_eq!(port.closed().await, Disconnect::Error(err));
        assert_eq!(remote.disconnect_count(), 1);
        assert_eq!(remote.received().length(), 0);
        assert_eq!(port.post(&"three".into()).unwrap_err().kind(), ErrorKind::Disconnected);
    }

    /// `flush()` hands the refusal to the caller at once; our `disconnect()` does too.
    async fn flush_and_disconnect_return_the_refusal(fake) {
        let port = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        port.post(&"one".into()).unwrap();
        refuse_posts(&port);
        let err = port.flush().unwrap_err();
        assert!(err.message().starts_with("1 batched message not sent"), "{err}");
        assert!(!port.is_connected());

        let other = runtime::connect(&ConnectInfo::named("batch")).unwrap().batched();
        other.post(&"one".into()).unwrap();
        refuse_posts(&other);
        let err = other.disconnect().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
        assert_eq!(other.state(), State::ClosedHere);
        fake.settle().await;
    }

    /// More than BATCH_MESSAGES posts in one task: several envelopes, in order, nothing lost.
    async fn a_long_task_sends_several_envelopes(fake) {
        let (client, server) = connected_pair(&fake);
        let client = client.batched();
        let server = server.batched();
        let count = webext_port::BATCH_MESSAGES * 2 + 5;
        let (log, _guard) = record_messages(&server);
        for n in 0..count {
            client.post(&JsValue::from(n as u32)).unwrap();
        }
        fake.settle().await;
        let got: Vec<u32> = log.borrow().iter().filter_map(|v| v.as_f64()).map(|n| n as u32).collect();
        assert_eq!(got, (0..count as u32).collect::<Vec<_>>());
    }
}
