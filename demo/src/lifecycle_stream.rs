//! The zero-loss test (issue 9): numbered messages both ways over a reconnecting port while the
//! background is stopped again and again.
//!
//! Content → background: `i` for i in 0..N, sent as fast as the replay buffer allows.
//! Background → content: `(i, errors)`: content message `i` makes the background send every
//! number up to `i` it has not sent, starting where the content side is
//! ([`Session::peer_received`](webext_port::reconnect::Session::peer_received)) in a restarted
//! instance; `errors` counts content messages that instance received out of sequence.
//!
//! The content side reports `stream_progress` (background messages received), `stream_reconnects`,
//! `stream_paused` (Firefox: paused at message k until the idle background was suspended and came
//! back) and, at the end, `stream`: the verdict, after the completion signal (everything received
//! and acknowledged) and a quiet period.

use crate::content::report;
use crate::js::{quiet_period, sleep};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use webext_port::reconnect::{ReconnectOptions, ReconnectingPort, SessionHost};
use webext_port::{ErrorKind, Port};

/// Background → content: `(number, content messages this instance got out of sequence)`.
type Echo = (u32, u32);

thread_local! {
    static HOST: SessionHost<u32, Echo> = SessionHost::with_replay_limit(8192, serve);
}

/// Background: one port of a stream session.
pub fn background(port: Port) {
    HOST.with(|host| host.accept(port));
}

fn serve(session: webext_port::reconnect::Session<u32, Echo>) {
    let next = Cell::new(session.peer_received() as u32);
    let expected = Cell::new(session.received() as u32);
    let errors = Cell::new(0);
    let replies = session.clone();
    session.on_message(move |message| {
        let Ok(i) = message else {
            errors.set(errors.get() + 1);
            return;
        };
        if i != expected.get() {
            errors.set(errors.get() + 1);
        }
        expected.set(i + 1);
        while next.get() <= i {
            if replies.send(&(next.get(), errors.get())).is_err() {
                errors.set(errors.get() + 1);
                return;
            }
            next.set(next.get() + 1);
        }
    });
}

/// What the content side saw.
#[derive(Default)]
struct Seen {
    received: u32,
    out_of_order: u32,
    background_errors: u32,
}

/// Content: `arg` is `N:p1,p2,…:MODE`. At each point p the content side reports `stream_paused`
/// and waits until the background went away and came back; MODE `pause` sends nothing meanwhile
/// (Firefox: the event page suspends only when idle), `slow` goes on sending one message per
/// timer tick (Chromium: the harness stops the worker with messages in flight).
pub fn content(arg: &str) {
    let mut parts = arg.split(':');
    let count: u32 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let pauses = parts.next().unwrap_or("");
    let slow = parts.next() == Some("slow");
    let mut pauses: Vec<u32> = pauses.split(',').filter_map(|p| p.parse().ok()).collect();
    pauses.sort_unstable();
    let mut options = ReconnectOptions::default();
    options.replay_limit = 4096;
    let port = match ReconnectingPort::<Echo, u32>::connect("stream", options) {
        Ok(port) => port,
        Err(err) => return report("stream", &format!("connect failed: {err}")),
    };
    // Every welcome after the first is a restart the session survived: report it at once.
    let connections = Cell::new(0u32);
    port.on_status(move |status| {
        report("stream_status", &format!("{status:?}"));
        if *status == webext_port::reconnect::Status::Connected {
            connections.set(connections.get() + 1);
            report("stream_reconnects", &(connections.get() - 1).to_string());
        }
    });
    let seen = Rc::new(RefCell::new(Seen::default()));
    let sink = seen.clone();
    port.on_message(move |message| {
        let mut seen = sink.borrow_mut();
        match message {
            Ok((n, errors)) => {
                if n != seen.received {
                    seen.out_of_order += 1;
                }
                seen.received += 1;
                seen.background_errors = seen.background_errors.max(errors);
                if seen.received % 250 == 0 {
                    report("stream_progress", &seen.received.to_string());
                }
            }
            Err(_) => seen.out_of_order += 1,
        }
    });
    wasm_bindgen_futures::spawn_local(run(port, seen, count, pauses, slow));
}

async fn run(
    port: ReconnectingPort<Echo, u32>,
    seen: Rc<RefCell<Seen>>,
    count: u32,
    pauses: Vec<u32>,
    slow: bool,
) {
    let mut pauses = pauses.into_iter().peekable();
    let mut i = 0;
    while i < count {
        // `<=`, not `==`: in `slow` mode the content side goes on sending during a pause, so it
        // may already be past the next point (two points 67 apart failed a run, 2026-11-25); it
        // pauses there at once and reports the point the harness waits for.
        if let Some(point) = pauses.next_if(|point| *point <= i) {
            report("stream_paused", &point.to_string());
            let before = port.reconnects();
            // Until the background went away and the session came back (at most ~60 s).
            let waiting = js_sys::Date::now();
            while port.reconnects() == before && js_sys::Date::now() - waiting < 60_000.0 {
                if slow && i < count && port.send(&i).is_ok() {
                    i += 1;
                }
                sleep(if slow { 1 } else { 50 }).await;
            }
            continue;
        }
        match port.send(&i) {
            Ok(()) => i += 1,
            Err(err) if err.kind() == ErrorKind::ReplayBufferFull => sleep(2).await,
            Err(err) => return report("stream", &format!("send {i} failed: {err}")),
        }
        if i % 500 == 0 {
            sleep(0).await; // let acknowledgements and replies in
        }
    }
    // The completion signal: every reply received and every message acknowledged (or 120 s).
    for _ in 0..6000 {
        if seen.borrow().received >= count && port.unacknowledged() == 0 {
            break;
        }
        sleep(20).await;
    }
    quiet_period().await; // a late duplicate would show up here
    let seen = seen.borrow();
    report("stream_restarts", &port.reconnects().to_string());
    report(
        "stream",
        &format!(
            "content got {}/{count} ({} out of order), background errors {}, unacknowledged {}",
            seen.received,
            seen.out_of_order,
            seen.background_errors,
            port.unacknowledged()
        ),
    );
}
