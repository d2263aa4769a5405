//! The connection machinery of a [`ReconnectingPort`](super::ReconnectingPort)'s client: attach a
//! connection (hello and replay), receive frames, notice a broken connection, back off and
//! reconnect, and fail for good on an invalidated context.

use super::{Client, Status};
use crate::error::{ErrorKind, PortError};
use crate::port::{check_size, Port, PortId};
use crate::reconnect::wire::{Arrival, Frame};
use crate::reconnect::{sleep, CONTENT_ACK_EVERY};
use crate::runtime::{self, ConnectInfo};
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;

impl<In: serde::de::DeserializeOwned + 'static> Client<In> {
    /// Makes `port` the session's connection: listeners, then hello, then the replay.
    pub(super) fn attach(self: &Rc<Self>, port: Port) {
        let weak = Rc::downgrade(self);
        // Freed when this connection ends (forgotten listeners live exactly as long as it).
        port.on_message(move |message| {
            if let Some(client) = weak.upgrade() {
                client.receive(&message);
            }
        })
        .forget();
        let weak: Weak<Self> = Rc::downgrade(self);
        let id = port.id();
        port.on_disconnect(move |why| {
            if let Some(client) = weak.upgrade() {
                client.broken(Some(id), why.error().cloned());
            }
        });
        let frames: Vec<JsValue> = {
            let mut state = self.state.borrow_mut();
            state.port = Some(port.clone());
            state.status = Status::Connecting;
            state.connections += 1;
            let hello = Frame::Hello {
                sid: self.sid.clone(),
                ack: state.inbox.delivered(),
                base: state.outbox.base(),
                fresh: state.connections == 1,
            };
            std::iter::once(hello.to_js())
                .chain(state.outbox.unacknowledged().map(|(seq, body)| {
                    Frame::Message {
                        seq,
                        body: body.clone(),
                    }
                    .to_js()
                }))
                .collect()
        };
        self.emit();
        for frame in frames {
            if let Err(err) = port.post_trusted(&frame) {
                self.post_failed(err);
                break;
            }
        }
        self.watch_welcome(port.id());
    }

    /// While connection `id` waits for its welcome, checks every second whether the extension
    /// went away. Measured in Chromium 156: a port opened just as the extension reloads is never
    /// welcomed and never disconnected (the orphaned script gets no more events), so without this
    /// the session would wait forever instead of failing with `ContextInvalidated`.
    pub(super) fn watch_welcome(self: &Rc<Self>, id: PortId) {
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                sleep(WELCOME_CHECK_MS).await;
                let Some(client) = weak.upgrade() else { return };
                let waiting = {
                    let state = client.state.borrow();
                    state.port.as_ref().map(Port::id) == Some(id)
                        && matches!(state.status, Status::Connecting)
                };
                if !waiting {
                    return;
                }
                if let Some(err) = crate::namespace::context_invalidated("the reconnecting port") {
                    client.fail(err);
                    return;
                }
            }
        });
    }

    pub(super) fn open(self: &Rc<Self>) {
        match runtime::connect(&ConnectInfo::named(self.name.as_str())) {
            Ok(port) => self.attach(port),
            Err(err) => self.broken(None, Some(err)),
        }
    }

    /// A post failed: only an invalidated context is final; anything else means the connection
    /// is going away, and its disconnect brings the next one.
    pub(super) fn post_failed(&self, err: PortError) {
        if err.kind() == ErrorKind::ContextInvalidated {
            self.fail(err);
        }
    }

    pub(super) fn send(self: &Rc<Self>, body: JsValue) -> Result<(), PortError> {
        let (frame, port) = {
            let mut state = self.state.borrow_mut();
            match &state.status {
                Status::Failed(err) => return Err(err.clone()),
                Status::Closed => {
                    return Err(PortError::new(
                        ErrorKind::Disconnected,
                        "the reconnecting port is closed",
                    ))
                }
                _ => {}
            }
            let seq = state.outbox.next();
            let frame = Frame::Message {
                seq,
                body: body.clone(),
            }
            .to_js();
            check_size(&frame)?;
            if state.outbox.push(body).is_none() {
                return Err(PortError::new(
                    ErrorKind::ReplayBufferFull,
                    crate::text::concat(&[
                        itoa::Buffer::new().format(state.outbox.len()),
                        " messages wait for the background's acknowledgement (replay_limit)",
                    ]),
                ));
            }
            (frame, state.port.clone())
        };
        if let Some(port) = port {
            if let Err(err) = port.post_trusted(&frame) {
                self.post_failed(err.clone());
                if err.kind() == ErrorKind::ContextInvalidated {
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    pub(super) fn receive(self: &Rc<Self>, message: &JsValue) {
        let Some(frame) = Frame::parse(message) else {
            return; // not a session frame
        };
        let mut state = self.state.borrow_mut();
        match frame {
            Frame::Welcome { ack } => {
                state.outbox.acknowledge(ack);
                state.attempt = 0;
                if state.connections > 1 {
                    state.reconnects += 1;
                }
                state.status = Status::Connected;
                drop(state);
                self.emit();
            }
            Frame::Ack { ack } => state.outbox.acknowledge(ack),
            Frame::Message { seq, body } => match state.inbox.arrive(seq) {
                Arrival::Deliver => {
                    state.unacknowledged += 1;
                    let ack = (state.unacknowledged >= CONTENT_ACK_EVERY).then(|| {
                        state.unacknowledged = 0;
                        (state.port.clone(), state.inbox.delivered())
                    });
                    drop(state);
                    self.delivery.push(body);
                    if let Some((Some(port), ack)) = ack {
                        let _ = port.post_trusted(&Frame::Ack { ack }.to_js());
                    }
                }
                Arrival::Duplicate => {}
                Arrival::Gap => {
                    // Never on a FIFO port; start over from what was delivered.
                    let port = state.port.take();
                    drop(state);
                    if let Some(port) = port {
                        let _ = port.disconnect();
                    }
                    self.retry();
                }
            },
            Frame::Hello { .. } | Frame::Bye => {}
        }
    }

    /// The connection `id` (or an attempt to open one) ended, with `error` if any.
    pub(super) fn broken(self: &Rc<Self>, id: Option<PortId>, error: Option<PortError>) {
        {
            let mut state = self.state.borrow_mut();
            if let Some(id) = id {
                if state.port.as_ref().map(Port::id) != Some(id) {
                    return; // an older connection
                }
            }
            state.port = None;
            if matches!(state.status, Status::Failed(_) | Status::Closed) {
                return;
            }
        }
        match error {
            Some(err) if err.kind() == ErrorKind::ContextInvalidated => self.fail(err),
            _ => self.retry(),
        }
    }

    /// Schedules the next connection attempt, with backoff.
    pub(super) fn retry(self: &Rc<Self>) {
        let status = {
            let mut state = self.state.borrow_mut();
            state.attempt += 1;
            let attempt = state.attempt;
            let delay_ms = if attempt == 1 {
                0
            } else {
                let doubled = u64::from(self.options.backoff_min_ms) << (attempt - 2).min(20);
                doubled.min(u64::from(self.options.backoff_max_ms)) as u32
            };
            state.status = Status::Reconnecting { attempt, delay_ms };
            state.status.clone()
        };
        self.emit();
        let Status::Reconnecting { attempt, delay_ms } = status else {
            return;
        };
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            sleep(delay_ms).await;
            // A page in the back/forward cache reconnects when it is shown again.
            while crate::port::page_is_cached() {
                sleep(100).await;
            }
            let Some(client) = weak.upgrade() else { return };
            let current = client.state.borrow().status.clone();
            if current == (Status::Reconnecting { attempt, delay_ms }) {
                client.open();
            }
        });
    }

    pub(super) fn fail(&self, err: PortError) {
        let port = {
            let mut state = self.state.borrow_mut();
            state.status = Status::Failed(err);
            state.port.take()
        };
        if let Some(port) = port {
            let _ = port.disconnect();
        }
        self.emit();
    }

    pub(super) fn close(&self) {
        let port = {
            let mut state = self.state.borrow_mut();
            if matches!(state.status, Status::Closed | Status::Failed(_)) {
                return;
            }
            state.status = Status::Closed;
            state.port.take()
        };
        if let Some(port) = port {
            let _ = port.post_trusted(&Frame::Bye.to_js());
            let _ = port.disconnect();
        }
        self.delivery.clear();
        self.emit();
    }

    /// Tells the status callback (taken out while it runs: it may call back into the port).
    pub(super) fn emit(&self) {
        let status = self.state.borrow().status.clone();
        let callback = self.on_status.borrow_mut().take();
        if let Some(mut callback) = callback {
            callback(&status);
            let mut slot = self.on_status.borrow_mut();
            if slot.is_none() {
                *slot = Some(callback);
            }
        }
    }
}

impl<In> Drop for Client<In> {
    fn drop(&mut self) {
        let port = self.state.get_mut().port.take();
        if let Some(port) = port {
            let _ = port.post_trusted(&Frame::Bye.to_js());
            let _ = port.disconnect();
        }
    }
}

/// How often a connection waiting for its welcome checks that the extension is still there.
const WELCOME_CHECK_MS: u32 = 1000;
