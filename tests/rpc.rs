//! Layer 2 for the higher layers: `rpc` (request/response) and `port_set`, under both fakes.
//!
//! The fake plays the far end of each port. For client ↔ server tests two library ports are
//! joined by a JS bridge between their far ends, so both sides are this crate's code.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{join_all, select, Either};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use webext_port::port_set::{PortKey, PortSet};
use webext_port::{rpc, runtime, ConnectInfo, ErrorKind, Port, PortError};

wasm_bindgen_test_configure!(run_in_browser);

#[macro_use]
mod support;
use support::*;

/// `f`, or a panic if it has not finished within `ms`: a request that hangs fails the test
/// instead of stalling the whole run.
async fn within<F: Future>(ms: i32, f: F) -> F::Output {
    let timer = timer(ms);
    // The timer first: when both are ready on the same wake-up, the timeout wins (a future
    // that only completes because the timer's wake-up polled it again would otherwise pass).
    match select(JsFuture::from(timer), Box::pin(f)).await {
        Either::Left(_) => panic!("still pending after {ms} ms: it would hang"),
        Either::Right((output, _)) => output,
    }
}

/// Runs `f` in a task of its own and returns where its output will be. Such a task is polled
/// only when something wakes it (unlike the test's own future, which the harness may poll again
/// for other reasons), so a missing wake-up shows as an output that never arrives.
fn spawned<F: Future + 'static>(f: F) -> Rc<RefCell<Option<F::Output>>> {
    let output = Rc::new(RefCell::new(None));
    let sink = output.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let value = f.await;
        *sink.borrow_mut() = Some(value);
    });
    output
}

/// Joins the far ends of two ports the library holds: what one library port posts, the other
/// receives, and a disconnect on one side reaches the other.
fn bridge(a: &Remote, b: &Remote) {
    let join = js_sys::Function::new_with_args(
        "a, b",
        "a.port.onMessage.addListener((m) => b.post(m));
         b.port.onMessage.addListener((m) => a.post(m));
         a.port.onDisconnect.addListener(() => b.disconnect());
         b.port.onDisconnect.addListener(() => a.disconnect());",
    );
    join.call2(&JsValue::NULL, a.as_ref(), b.as_ref())
        .expect("bridge");
}

/// A client port (runtime.connect) and a server port (received in onConnect), bridged.
fn connected_pair(fake: &Fake) -> (Port, Port, Remote, Remote) {
    let client_port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
    let client_remote = fake.last_remote();
    let received = std::rc::Rc::new(std::cell::RefCell::new(None));
    let sink = received.clone();
    let guard = runtime::on_connect(move |port| *sink.borrow_mut() = Some(port)).unwrap();
    let server_remote = fake.dispatch_connect("rpc");
    drop(guard);
    let server_port = received
        .borrow_mut()
        .take()
        .expect("onConnect delivered the port");
    bridge(&client_remote, &server_remote);
    (client_port, server_port, client_remote, server_remote)
}

/// Runs `body` as a JS function of `remote` (the far end of a library port).
fn on_remote(remote: &Remote, body: &str) {
    js_sys::Function::new_with_args("remote", body)
        .call1(&JsValue::NULL, remote.as_ref())
        .expect("the snippet runs");
}

fn kinds<T: std::fmt::Debug>(results: &[Result<T, PortError>]) -> Vec<String> {
    results
        .iter()
        .map(|r| match r {
            Ok(v) => format!("ok {v:?}"),
            Err(e) => e.kind().to_string(),
        })
        .collect()
}

in_both_browsers! {
    /// Three requests in flight when the other side disconnects: each fails with Disconnected at
    /// once; none waits for a response that cannot come.
    async fn pending_requests_fail_when_the_other_side_disconnects(fake) {
        let port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
        let remote = fake.last_remote();
        let client = rpc::Client::<u32, u32>::new(&port);
        let pending: Vec<_> = (0..3).map(|n| client.request(&n)).collect();
        fake.settle().await;
        assert_eq!(remote.received().length(), 3, "all three were sent before any await");
        assert_eq!(client.pending(), 3);
        let results = spawned(join_all(pending));
        fake.settle().await;
        assert!(results.borrow().is_none(), "nothing answered yet");
        remote.disconnect();
        fake.settle().await;
        let results = results.borrow_mut().take().expect("woken by the disconnect");
        assert_eq!(kinds(&results), ["disconnected"; 3]);
        assert_eq!(client.pending(), 0);
    }

    /// The same when the port fails with an error: each pending request gets that error's kind.
    async fn pending_requests_fail_with_the_disconnect_error(fake) {
        let port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
        let remote = fake.last_remote();
        let client = rpc::Client::<u32, u32>::new(&port);
        let results = spawned(join_all((0..2).map(|n| client.request(&n))));
        fake.settle().await;
        remote.fail(NO_RECEIVER);
        fake.settle().await;
        let results = results.borrow_mut().take().expect("woken by the disconnect");
        assert_eq!(kinds(&results), ["no_receiver"; 2]);
    }

    /// Our own disconnect fails pending requests too (no onDisconnect fires for it), and a request
    /// made afterwards fails at once.
    async fn pending_requests_fail_on_our_own_disconnect(fake) {
        let port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
        let client = rpc::Client::<u32, u32>::new(&port);
        let result = spawned(client.request(&1));
        fake.settle().await;
        assert!(result.borrow().is_none());
        // The request is waiting already when the port goes: only a wake-up can end it.
        port.disconnect().unwrap();
        fake.settle().await;
        let result = result.borrow_mut().take().expect("woken by our disconnect");
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Disconnected);
        let after = within(2000, client.request(&2)).await;
        assert_eq!(after.unwrap_err().kind(), ErrorKind::Disconnected);
    }

    /// Dropping the client while requests are pending fails them (nobody could route a response).
    async fn pending_requests_fail_when_the_client_is_dropped(fake) {
        let port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
        let client = rpc::Client::<u32, u32>::new(&port);
        let result = spawned(client.request(&1));
        fake.settle().await;
        drop(client);
        fake.settle().await;
        let result = result.borrow_mut().take().expect("woken by the drop");
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Disconnected);
        assert!(port.is_connected(), "dropping a client does not close its port");
    }

    /// No answer within the timeout: TimedOut, the port stays up, and the late answer is ignored
    /// (it does not reach the next request, which has its own id).
    async fn a_request_without_answer_times_out(fake) {
        let port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
        let remote = fake.last_remote();
        let client = rpc::Client::<u32, u32>::new(&port).with_timeout(Duration::from_millis(50));
        let result = within(2000, client.request(&1)).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert!(port.is_connected());
        // Per-call timeout overrides the client's; the server now answers, late, then on time.
        on_remote(&remote, "remote.port.onMessage.addListener((m) => remote.post({rpc: m.rpc, ok: JSON.stringify(JSON.parse(m.request) * 10)}));");
        remote.post(&js_sys::JSON::parse(r#"{"rpc": 0, "ok": "999"}"#).unwrap());
        let answer = within(2000, client.request_with_timeout(&2, Duration::from_secs(5))).await;
        assert_eq!(answer, Ok(20));
    }

    /// 100 concurrent requests on one port, answered in reverse order: each caller gets the
    /// answer to its own request.
    async fn a_hundred_concurrent_requests_each_get_their_own_answer(fake) {
        let port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
        let remote = fake.last_remote();
        on_remote(&remote, "
            const seen = [];
            remote.port.onMessage.addListener((m) => {
                seen.push(m);
                if (seen.length === 100) {
                    for (const r of seen.reverse()) remote.post({rpc: r.rpc, ok: JSON.stringify(`answer to ${JSON.parse(r.request)}`)});
                }
            });");
        let client = rpc::Client::<u32, String>::new(&port);
        let requests: Vec<_> = (0..100u32).map(|n| client.request(&n)).collect();
        let answers = within(5000, join_all(requests)).await;
        let expected: Vec<Result<String, PortError>> =
            (0..100).map(|n| Ok(format!("answer to {n}"))).collect();
        assert_eq!(answers, expected);
        assert_eq!(client.pending(), 0);
    }

    /// Both ends are this crate: `serve` answers; a slow handler does not hold up a fast one.
    async fn serve_answers_each_request_with_its_handler(fake) {
        let (client_port, server_port, _a, _b) = connected_pair(&fake);
        let _server = rpc::serve(&server_port, |ms: u32| async move {
            sleep(ms as i32).await;
            Ok(format!("slept {ms}"))
        });
        let client = rpc::Client::<u32, String>::new(&client_port);
        let (slow, fast) = (client.request(&60), client.request(&0));
        let fast = within(2000, fast).await;
        assert_eq!(fast.as_deref(), Ok("slept 0"));
        assert_eq!(client.pending(), 1, "the slow one is still running");
        assert_eq!(within(2000, slow).await.as_deref(), Ok("slept 60"));
    }

    /// A handler's error arrives as a PortError with the handler's kind and message.
    async fn a_handler_error_arrives_as_a_typed_error(fake) {
        let (client_port, server_port, _a, _b) = connected_pair(&fake);
        let _server = rpc::serve(&server_port, |n: i32| async move {
            if n < 0 {
                Err(PortError::new(ErrorKind::HandlerFailed, format!("{n} is negative")))
            } else {
                Ok(n)
            }
        });
        let client = rpc::Client::<i32, i32>::new(&client_port);
        let err = within(2000, client.request(&-4)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HandlerFailed);
        assert_eq!(err.message(), "-4 is negative");
        assert_eq!(within(2000, client.request(&4)).await, Ok(4), "the port is still fine");
    }

    /// Envelopes that do not decode reach the one caller as DecodeFailed, never a hang or panic;
    /// a request the server cannot decode is answered with DecodeFailed, its handler not called.
    async fn undecodable_envelopes_are_decode_failed(fake) {
        let port = runtime::connect(&ConnectInfo::named("rpc")).unwrap();
        let remote = fake.last_remote();
        on_remote(&remote, r#"
            remote.port.onMessage.addListener((m) => {
                const n = JSON.parse(m.request);
                if (n === 0) remote.post({rpc: m.rpc, ok: JSON.stringify("not a number")});
                if (n === 1) remote.post({rpc: m.rpc});
                if (n === 2) remote.post({rpc: m.rpc, err: "just a string"});
                if (n === 3) remote.post({rpc: m.rpc, err: {kind: "from_the_future", message: "new"}});
            });"#);
        let client = rpc::Client::<u32, u32>::new(&port);
        let results = within(2000, join_all((0..4).map(|n| client.request(&n)))).await;
        assert_eq!(kinds(&results), ["decode_failed", "decode_failed", "decode_failed", "other"]);
        assert!(results[0].as_ref().unwrap_err().raw_value().is_some(), "the raw reply is kept");

        let (client_port, server_port, _a, _b) = connected_pair(&fake);
        let called = std::rc::Rc::new(std::cell::Cell::new(0));
        let count = called.clone();
        let _server = rpc::serve(&server_port, move |n: u32| {
            count.set(count.get() + 1);
            async move { Ok(n) }
        });
        let wrong = rpc::Client::<&str, u32>::new(&client_port);
        let err = within(2000, wrong.request(&"seven")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DecodeFailed);
        assert_eq!(called.get(), 0);
    }

    /// Plain messages on an rpc port are left alone, so rpc can share a port with them.
    async fn other_messages_on_the_port_are_left_alone(fake) {
        let (client_port, server_port, _a, _b) = connected_pair(&fake);
        let (log, _guard) = record(&server_port);
        let _server = rpc::serve(&server_port, |n: u32| async move { Ok(n + 1) });
        let client = rpc::Client::<u32, u32>::new(&client_port);
        client_port.post(&"hello".into()).unwrap();
        assert_eq!(within(2000, client.request(&1)).await, Ok(2));
        fake.settle().await;
        assert_eq!(log.borrow().len(), 2, "the plain message and the envelope both reach plain listeners");
        assert_eq!(log.borrow()[0].as_string().as_deref(), Some("hello"));
    }
}

fn record(
    port: &Port,
) -> (
    std::rc::Rc<std::cell::RefCell<Vec<JsValue>>>,
    webext_port::MessageListener,
) {
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = log.clone();
    (log, port.on_message(move |m| sink.borrow_mut().push(m)))
}

/// A content script in `frame` of tab `tab` connects; returns its far end and the library port.
fn content_script(fake: &Fake, tab: i32, frame: i64) -> (Remote, Port) {
    let overrides = js_sys::JSON::parse(&format!(
        r#"{{"frameId": {frame}, "documentId": "doc-{tab}-{frame}", "tab": {{"id": {tab}}}}}"#
    ))
    .unwrap();
    let received = std::rc::Rc::new(std::cell::RefCell::new(None));
    let sink = received.clone();
    let guard = runtime::on_connect(move |port| *sink.borrow_mut() = Some(port)).unwrap();
    let remote =
        fake.dispatch_connect_with_sender("port-from-cs", &fake.default_sender(&overrides));
    drop(guard);
    let port = received
        .borrow_mut()
        .take()
        .expect("onConnect delivered the port");
    (remote, port)
}

/// The typed `String` messages `remote` received (each on the wire as its JSON text).
fn texts(remote: &Remote) -> Vec<String> {
    remote
        .received()
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|json| serde_json::from_str(&json).ok())
        .collect()
}

in_both_browsers! {
    /// Two frames of one tab are two entries; a tab send reaches both, a frame send one. The
    /// subframe id is Firefox-sized (a browsing-context id beyond i32, as measured in Firefox 153).
    async fn a_port_set_keys_two_frames_of_one_tab_apart(fake) {
        let set: PortSet<String, String> = PortSet::new();
        let (top, top_port) = content_script(&fake, 1, 0);
        let (iframe, iframe_port) = content_script(&fake, 1, 8_589_934_595);
        let (other, other_port) = content_script(&fake, 2, 0);
        let top_key = set.insert(top_port.typed()).unwrap();
        set.insert(iframe_port.typed()).unwrap();
        set.insert(other_port.typed()).unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(top_key, PortKey { tab_id: 1, frame_id: 0, document_id: Some("doc-1-0".into()) });

        let sent = set.send_to_tab(1, &"tab one".to_owned());
        assert_eq!(sent.delivered.iter().map(|k| k.frame_id).collect::<Vec<_>>(), [0, 8_589_934_595]);
        set.send_to_frame(&top_key, &"top only".to_owned()).unwrap();
        let sent = set.broadcast(&"everyone".to_owned());
        assert_eq!(sent.delivered.len(), 3);
        assert!(sent.is_complete());
        fake.settle().await;
        assert_eq!(texts(&top), ["tab one", "top only", "everyone"]);
        assert_eq!(texts(&iframe), ["tab one", "everyone"]);
        assert_eq!(texts(&other), ["everyone"]);

        let missing = PortKey { tab_id: 9, frame_id: 0, document_id: None };
        let err = set.send_to_frame(&missing, &"nobody".to_owned()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoReceiver);
    }

    /// A port whose content script goes away leaves the set by itself; a port we disconnect
    /// leaves at the next operation; a port without a tab is refused.
    async fn a_port_set_drops_closed_ports(fake) {
        let set: PortSet<String, String> = PortSet::new();
        let (top, top_port) = content_script(&fake, 1, 0);
        let (_iframe, iframe_port) = content_script(&fake, 1, 5);
        let (_other, other_port) = content_script(&fake, 2, 0);
        set.insert(top_port.typed()).unwrap();
        let iframe_key = set.insert(iframe_port.typed()).unwrap();
        set.insert(other_port.typed()).unwrap();

        top.disconnect();
        fake.settle().await;
        // Debug lists what the set holds without pruning: the port left by itself, at once.
        assert!(!format!("{set:?}").contains("frame_id: 0, document_id: Some(\"doc-1-0\")"), "{set:?}");
        assert_eq!(set.len(), 2);
        set.get(&iframe_key).unwrap().disconnect().unwrap();
        assert_eq!(set.keys().iter().map(|k| (k.tab_id, k.frame_id)).collect::<Vec<_>>(), [(2, 0)]);

        let from_page = runtime::connect(&ConnectInfo::named("no-sender")).unwrap();
        assert_eq!(set.insert(from_page.typed()).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    /// A newer port from the same document replaces the older one, and the older one's
    /// disconnect does not remove its successor.
    async fn a_port_set_keeps_the_successor_of_a_replaced_port(fake) {
        let set: PortSet<String, String> = PortSet::new();
        let (first, first_port) = content_script(&fake, 1, 0);
        let (second, second_port) = content_script(&fake, 1, 0);
        set.insert(first_port.typed()).unwrap();
        set.insert(second_port.typed()).unwrap();
        assert_eq!(set.len(), 1);
        first.disconnect();
        fake.settle().await;
        assert_eq!(first_port.state(), webext_port::State::ClosedThere(webext_port::Disconnect::Clean));
        assert_eq!(set.len(), 1, "the successor stays");
        assert_eq!(set.broadcast(&"still here".to_owned()).delivered.len(), 1);
        fake.settle().await;
        assert_eq!(texts(&second), ["still here"]);
    }

    /// A broadcast reports which ports failed and why, delivers to the rest, and forgets the
    /// failed ones.
    async fn broadcast_reports_per_port_failures(fake) {
        let set: PortSet<String, String> = PortSet::new();
        let (_a, a_port) = content_script(&fake, 1, 0);
        let (b, b_port) = content_script(&fake, 2, 0);
        let (c, c_port) = content_script(&fake, 3, 0);
        set.insert(a_port.typed()).unwrap();
        set.insert(b_port.typed()).unwrap();
        set.insert(c_port.typed()).unwrap();
        // Closed under the set's feet (our own disconnect fires no callback).
        a_port.disconnect().unwrap();
        let sent = set.broadcast(&"they clicked the button!".to_owned());
        assert_eq!(sent.delivered.iter().map(|k| k.tab_id).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(sent.failed.len(), 1);
        assert_eq!(sent.failed[0].0.tab_id, 1);
        assert_eq!(sent.failed[0].1.kind(), ErrorKind::Disconnected);
        assert!(!sent.is_complete());
        assert_eq!(set.len(), 2);
        fake.settle().await;
        assert_eq!(texts(&b), ["they clicked the button!"]);
        assert_eq!(texts(&c), ["they clicked the button!"]);
    }
}
