//! Layer 2: `ReconnectingPort` (content side) against `SessionHost` (background side), both in
//! this page over the fakes' loopback channels; `killBackground()` plays a stopped service worker
//! or suspended event page (its ends go silent, its state is dropped with it).
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use support::*;
use wasm_bindgen_test::*;
use webext_port::reconnect::{ReconnectOptions, ReconnectingPort, SessionHost, Status};
use webext_port::{runtime, ConnectListener, ErrorKind};

wasm_bindgen_test_configure!(run_in_browser);

const NAME: &str = "session";

/// One background instance: a `SessionHost` that records every content message and mirrors the
/// stream (content message `i` makes it send every number up to `i` it has not sent, starting
/// where the content side is: what a restarted background that can regenerate its output does).
struct Background {
    _listener: ConnectListener,
    got: Log<u32>,
    sessions: Log<(bool, u64)>,
    host: SessionHost<u32, u32>,
}

fn start_background() -> Background {
    let got: Log<u32> = Log::default();
    let sessions: Log<(bool, u64)> = Log::default();
    let (got_in, sessions_in) = (got.clone(), sessions.clone());
    let host = SessionHost::<u32, u32>::new(move |session| {
        sessions_in
            .borrow_mut()
            .push((session.resumed(), session.peer_received()));
        let next = Cell::new(session.peer_received() as u32);
        let replies = session.clone();
        let got = got_in.clone();
        session.on_message(move |message| {
            let i = message.expect("a u32");
            got.borrow_mut().push(i);
            while next.get() <= i {
                replies.send(&next.get()).expect("within the replay limit");
                next.set(next.get() + 1);
            }
        });
    });
    let accepting = host.clone();
    let listener = runtime::on_connect(move |port| accepting.accept(port)).unwrap();
    Background {
        _listener: listener,
        got,
        sessions,
        host,
    }
}

fn client(options: ReconnectOptions) -> (ReconnectingPort<u32, u32>, Log<u32>) {
    let port = ReconnectingPort::<u32, u32>::connect(NAME, options).unwrap();
    let received: Log<u32> = Log::default();
    let sink = received.clone();
    port.on_message(move |m| sink.borrow_mut().push(m.expect("a u32")));
    (port, received)
}

fn numbers(n: u32) -> Vec<u32> {
    (0..n).collect()
}

/// Waits (polling the fake, at most ~3 s) until `done`; the waits here are for backoff timers.
async fn until(fake: &Fake, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        fake.settle().await;
        if done() {
            return;
        }
        sleep(10).await;
    }
    panic!("not done after ~3 s");
}

in_both_browsers! {
    /// Both directions, one connection: everything once, in order, and acknowledged.
    async fn messages_cross_both_ways_in_order(fake) {
        fake.loop_back(NAME);
        let bg = start_background();
        let (port, received) = client(ReconnectOptions::default());
        for i in 0..100 {
            port.send(&i).unwrap();
        }
        fake.settle().await; // every queued delivery ran: the completion signal
        assert_eq!(*bg.got.borrow(), numbers(100));
        assert_eq!(*received.borrow(), numbers(100));
        assert_eq!(port.unacknowledged(), 0, "the background acknowledges each message");
        assert_eq!(port.status(), Status::Connected);
        assert_eq!(*bg.sessions.borrow(), [(false, 0)]);
        assert_eq!(port.reconnects(), 0);
    }

    /// The background is stopped five times mid-stream (messages in flight to it are lost, its
    /// state with it); each new instance resumes the session: both sides get 0..N exactly once.
    async fn background_restarts_lose_and_repeat_nothing(fake) {
        fake.loop_back(NAME);
        let mut bg = start_background();
        let mut got_by_dead_instances = Vec::new();
        let (port, received) = client(ReconnectOptions::default());
        let mut sent = 0;
        for round in 0..6 {
            for _ in 0..(37 + round * 11) {
                port.send(&sent).unwrap();
                sent += 1;
            }
            if round < 5 {
                // Stop it with messages still in flight both ways, then a new instance starts.
                assert_eq!(fake.kill_background(), 1);
                got_by_dead_instances.extend(bg.got.borrow().iter().copied());
                drop(bg);
                bg = start_background();
                // The completion signal of a restart: the new instance welcomed the client.
                until(&fake, || port.reconnects() == round as u32 + 1).await;
            }
        }
        until(&fake, || received.borrow().len() == sent as usize).await;
        got_by_dead_instances.extend(bg.got.borrow().iter().copied());
        assert_eq!(got_by_dead_instances, numbers(sent), "background side: once each, in order");
        assert_eq!(*received.borrow(), numbers(sent), "content side: once each, in order");
        assert_eq!(port.reconnects(), 5);
        assert_eq!(bg.sessions.borrow().len(), 1);
        assert!(bg.sessions.borrow()[0].0, "the last instance resumed the session");
        fake.settle().await; // a quiet period: nothing late shows up
        assert_eq!(received.borrow().len(), sent as usize);
    }

    /// While nobody listens, `send` keeps accepting (the messages wait); attempts back off; when
    /// the background is back they are delivered, once.
    async fn messages_wait_for_the_background_to_come_back(fake) {
        fake.loop_back(NAME);
        let bg = start_background();
        let (port, _received) = client(ReconnectOptions::default());
        fake.settle().await;
        let statuses: Log<Status> = Log::default();
        let sink = statuses.clone();
        port.on_status(move |s| sink.borrow_mut().push(s.clone()));
        fake.kill_background();
        drop(bg);
        for i in 0..5 {
            port.send(&i).unwrap();
        }
        sleep(250).await; // backoff timers under test: attempts 1 (0 ms), 2 (50), 3 (100), …
        fake.settle().await;
        let delays: Vec<u32> = statuses
            .borrow()
            .iter()
            .filter_map(|s| match s {
                Status::Reconnecting { delay_ms, .. } => Some(*delay_ms),
                _ => None,
            })
            .collect();
        assert!(delays.len() >= 3, "{delays:?}");
        assert_eq!(&delays[..3], [0, 50, 100]);
        let bg = start_background();
        until(&fake, || bg.got.borrow().len() == 5).await;
        assert_eq!(*bg.got.borrow(), numbers(5));
        assert_eq!(port.status(), Status::Connected);
    }

    /// The replay buffer's bound is a typed error, never a silent drop; acknowledgements free it.
    async fn full_replay_buffer_is_a_typed_error(fake) {
        fake.loop_back(NAME);
        let mut options = ReconnectOptions::default();
        options.replay_limit = 3;
        let (port, _received) = client(options);
        fake.settle().await; // nobody listens yet: the connection fails, attempts go on
        for i in 0..3 {
            port.send(&i).unwrap();
        }
        let err = port.send(&3).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ReplayBufferFull);
        assert_eq!(port.unacknowledged(), 3);
        let bg = start_background();
        until(&fake, || port.unacknowledged() == 0).await;
        port.send(&3).unwrap();
        fake.settle().await;
        assert_eq!(*bg.got.borrow(), numbers(4), "the refused message was not sent");
    }

    /// `close` ends the session on both sides; later sends are `Disconnected`.
    async fn close_ends_the_session_on_both_sides(fake) {
        fake.loop_back(NAME);
        let bg = start_background();
        let (port, _received) = client(ReconnectOptions::default());
        fake.settle().await;
        assert_eq!(bg.host.len(), 1);
        port.close();
        fake.settle().await;
        assert_eq!(bg.host.len(), 0, "the background forgot the session");
        assert_eq!(port.status(), Status::Closed);
        assert_eq!(port.send(&1).unwrap_err().kind(), ErrorKind::Disconnected);
    }
}

/// Chromium, extension reloaded under the content script: the next connect throws "Extension
/// context invalidated."; the port stops for good with that typed error (no more attempts).
#[wasm_bindgen_test]
async fn context_invalidated_stops_for_good() {
    let fake = Fake::install("chromium");
    fake.loop_back(NAME);
    let bg = start_background();
    let (port, _received) = client(ReconnectOptions::default());
    fake.settle().await;
    let failures = Rc::new(RefCell::new(0));
    let count = failures.clone();
    port.on_status(move |s| {
        if matches!(s, Status::Failed(_)) {
            *count.borrow_mut() += 1;
        }
    });
    fake.invalidate_context();
    fake.kill_background();
    drop(bg);
    sleep(200).await; // past several backoff delays: none may try again
    fake.settle().await;
    let Status::Failed(err) = port.status() else {
        panic!("{:?}", port.status());
    };
    assert_eq!(err.kind(), ErrorKind::ContextInvalidated);
    assert_eq!(*failures.borrow(), 1, "failed once, for good");
    assert_eq!(
        port.send(&1).unwrap_err().kind(),
        ErrorKind::ContextInvalidated
    );
    fake.finish().await;
}

/// Chromium 156, extension reloaded while a connection waits for its welcome (measured): the
/// orphaned script gets no more events, so that connection is neither welcomed nor disconnected.
/// The reconnecting port notices that `runtime.id` is gone (checked every second while it waits)
/// and stops for good with `ContextInvalidated`, instead of waiting forever.
#[wasm_bindgen_test]
async fn invalidated_while_waiting_for_the_welcome_fails() {
    let fake = Fake::install("chromium");
    fake.loop_back(NAME);
    // A background that accepts the connection and never answers.
    let _listener = runtime::on_connect(|_port| {}).unwrap();
    let (port, _received) = client(ReconnectOptions::default());
    fake.settle().await;
    assert_eq!(port.status(), Status::Connecting);
    fake.invalidate_context();
    until(&fake, || matches!(port.status(), Status::Failed(_))).await;
    let Status::Failed(err) = port.status() else {
        unreachable!()
    };
    assert_eq!(err.kind(), ErrorKind::ContextInvalidated, "{err}");
    fake.finish().await;
}

/// Fires `pagehide`/`pageshow` on this page as the browser does around the back/forward cache.
fn page_transition(kind: &str, persisted: bool) {
    js_sys::Function::new_with_args(
        "kind, persisted",
        "globalThis.dispatchEvent(new PageTransitionEvent(kind, { persisted }));",
    )
    .call2(
        &wasm_bindgen::JsValue::UNDEFINED,
        &kind.into(),
        &persisted.into(),
    )
    .expect("the event is dispatched");
}

in_both_browsers! {
    /// Back/forward cache, one outcome: a persisted `pagehide` closes every open port at once
    /// (the other side sees a clean disconnect and cannot post into the cached page any more);
    /// this side's ports end with BackForwardCache. A `pagehide` that does not cache does nothing.
    async fn page_entering_the_cache_closes_its_ports(fake) {
        let port = runtime::connect(&webext_port::ConnectInfo::named("plain")).unwrap();
        let far = fake.last_remote();
        page_transition("pagehide", false);
        assert!(port.is_connected(), "an unload that does not cache is not our business");
        page_transition("pagehide", true);
        assert_eq!(port.error().map(|e| e.kind()), Some(ErrorKind::BackForwardCache));
        fake.settle().await;
        assert_eq!(far.disconnect_count(), 1, "the other side was told");
        page_transition("pageshow", true);
    }

    /// A reconnecting port in a cached page: what is sent meanwhile waits (nothing reconnects
    /// while cached); shown again, it reconnects and everything arrives once, in order.
    async fn reconnecting_port_resumes_after_the_cache(fake) {
        fake.loop_back(NAME);
        let bg = start_background();
        let (port, received) = client(ReconnectOptions::default());
        for i in 0..3 {
            port.send(&i).unwrap();
        }
        fake.settle().await;
        page_transition("pagehide", true);
        for i in 3..5 {
            port.send(&i).unwrap();
        }
        sleep(150).await; // past the first backoff delays: a cached page must not reconnect
        fake.settle().await;
        assert_eq!(*bg.got.borrow(), numbers(3));
        assert_eq!(port.reconnects(), 0);
        page_transition("pageshow", true);
        until(&fake, || bg.got.borrow().len() == 5 && received.borrow().len() == 5).await;
        assert_eq!(*bg.got.borrow(), numbers(5));
        assert_eq!(*received.borrow(), numbers(5));
        assert_eq!(port.reconnects(), 1);
    }
}
