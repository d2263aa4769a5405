//! One message callback with a queue in front: messages wait until the callback is set, and a
//! callback that sends (or sets a new callback) while it runs never meets a borrowed `RefCell`.

use crate::codec;
use crate::error::PortError;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use wasm_bindgen::JsValue;

type Callback<In> = Box<dyn FnMut(Result<In, PortError>)>;

pub(crate) struct Delivery<In> {
    callback: RefCell<Option<Callback<In>>>,
    queue: RefCell<VecDeque<JsValue>>,
    running: Cell<bool>,
    /// Bumped by `set` and `clear`, so a callback that was replaced or cleared while it ran is
    /// not put back.
    generation: Cell<u64>,
}

impl<In: serde::de::DeserializeOwned> Delivery<In> {
    pub(crate) fn new() -> Self {
        Delivery {
            callback: RefCell::new(None),
            queue: RefCell::new(VecDeque::new()),
            running: Cell::new(false),
            generation: Cell::new(0),
        }
    }

    /// Replaces the callback; messages queued so far go to it, in order.
    pub(crate) fn set(&self, callback: Callback<In>) {
        self.generation.set(self.generation.get() + 1);
        let old = self.callback.borrow_mut().replace(callback);
        drop(old);
        self.drain();
    }

    /// Removes the callback (freeing it): nothing is delivered any more.
    pub(crate) fn clear(&self) {
        self.generation.set(self.generation.get() + 1);
        let old = self.callback.borrow_mut().take();
        self.queue.borrow_mut().clear();
        drop(old);
    }

    /// Delivers `body` (decoded as `In`) now, or when a callback exists.
    pub(crate) fn push(&self, body: JsValue) {
        self.queue.borrow_mut().push_back(body);
        self.drain();
    }

    fn drain(&self) {
        if self.running.replace(true) {
            return; // the running drain delivers it, in order
        }
        loop {
            if self.queue.borrow().is_empty() {
                break;
            }
            let Some(mut callback) = self.callback.borrow_mut().take() else {
                break;
            };
            let generation = self.generation.get();
            let body = self.queue.borrow_mut().pop_front();
            if let Some(body) = body {
                callback(codec::decode(body));
            }
            if self.generation.get() == generation {
                self.restore(callback);
            }
        }
        self.running.set(false);
    }

    /// Puts `callback` back into the empty slot.
    fn restore(&self, callback: Callback<In>) {
        let mut slot = self.callback.borrow_mut();
        if slot.is_none() {
            *slot = Some(callback);
        }
    }
}
