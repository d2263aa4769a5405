//! The session protocol's frames, and the two pure counters behind "exactly once, in order":
//! [`Outbox`] (the bounded replay buffer of one direction) and [`Inbox`] (what was delivered).
//!
//! Frames are plain objects with a `wp` tag (so they cross every browser unchanged):
//! - `{wp:"h", sid, ack, base, fresh}` hello, content → background, first on every connection:
//!   `ack` = background messages the content side delivered, `base` = the oldest content message
//!   it still holds (all before it were acknowledged), `fresh` = first connection of the session;
//! - `{wp:"w", ack}` welcome, background → content: content messages the background delivered;
//! - `{wp:"m", s, b}` message number `s` with body `b`;
//! - `{wp:"a", ack}` acknowledgement: every message before `ack` was delivered;
//! - `{wp:"bye"}` the content side closed the session for good.

use std::collections::VecDeque;
use wasm_bindgen::JsValue;

/// A frame, parsed.
#[derive(Debug)]
pub(crate) enum Frame {
    Hello {
        sid: String,
        ack: u64,
        base: u64,
        fresh: bool,
    },
    Welcome {
        ack: u64,
    },
    Message {
        seq: u64,
        body: JsValue,
    },
    Ack {
        ack: u64,
    },
    Bye,
}

mod js {
    use super::Frame;
    use crate::namespace::get;
    use js_sys::{Object, Reflect};
    use wasm_bindgen::JsValue;

    fn object(fields: &[(&str, JsValue)]) -> JsValue {
        let object = Object::new();
        for (key, value) in fields {
            let _ = Reflect::set(&object, &JsValue::from_str(key), value);
        }
        object.into()
    }

    fn count(value: &JsValue, key: &str) -> Option<u64> {
        get(value, key)
            .as_f64()
            .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n < 9_007_199_254_740_992.0)
            .map(|n| n as u64)
    }

    impl Frame {
        /// The frame as a port message.
        pub(crate) fn to_js(&self) -> JsValue {
            let n = |v: u64| JsValue::from_f64(v as f64);
            match self {
                Frame::Hello {
                    sid,
                    ack,
                    base,
                    fresh,
                } => object(&[
                    ("wp", "h".into()),
                    ("sid", sid.into()),
                    ("ack", n(*ack)),
                    ("base", n(*base)),
                    ("fresh", (*fresh).into()),
                ]),
                Frame::Welcome { ack } => object(&[("wp", "w".into()), ("ack", n(*ack))]),
                Frame::Message { seq, body } => {
                    object(&[("wp", "m".into()), ("s", n(*seq)), ("b", body.clone())])
                }
                Frame::Ack { ack } => object(&[("wp", "a".into()), ("ack", n(*ack))]),
                Frame::Bye => object(&[("wp", "bye".into())]),
            }
        }

        /// A port message as a frame; `None` for anything else.
        pub(crate) fn parse(value: &JsValue) -> Option<Frame> {
            Some(match get(value, "wp").as_string()?.as_str() {
                "h" => Frame::Hello {
                    sid: get(value, "sid").as_string()?,
                    ack: count(value, "ack")?,
                    base: count(value, "base")?,
                    fresh: get(value, "fresh").is_truthy(),
                },
                "w" => Frame::Welcome {
                    ack: count(value, "ack")?,
                },
                "m" => Frame::Message {
                    seq: count(value, "s")?,
                    body: get(value, "b"),
                },
                "a" => Frame::Ack {
                    ack: count(value, "ack")?,
                },
                "bye" => Frame::Bye,
                _ => return None,
            })
        }
    }
}

/// The replay buffer of one direction: every message sent and not yet acknowledged, numbered.
#[derive(Debug)]
pub(crate) struct Outbox<T> {
    /// The number of the oldest message held (every earlier one was acknowledged).
    base: u64,
    held: VecDeque<T>,
    limit: usize,
}

impl<T> Outbox<T> {
    /// Empty; the next message gets number `next`.
    pub(crate) fn starting_at(next: u64, limit: usize) -> Self {
        Outbox {
            base: next,
            held: VecDeque::new(),
            limit,
        }
    }

    /// Numbers and keeps `message`; `None` (and nothing kept) when `limit` messages are held.
    pub(crate) fn push(&mut self, message: T) -> Option<u64> {
        if self.held.len() >= self.limit {
            return None;
        }
        self.held.push_back(message);
        Some(self.next() - 1)
    }

    /// The other side delivered every message before `ack`: let them go. An `ack` beyond what was
    /// sent is capped (it cannot acknowledge the future).
    pub(crate) fn acknowledge(&mut self, ack: u64) {
        let ack = ack.min(self.next());
        while self.base < ack {
            self.held.pop_front();
            self.base += 1;
        }
    }

    /// The number of the oldest held message (every earlier one was acknowledged).
    pub(crate) fn base(&self) -> u64 {
        self.base
    }

    /// The number the next message gets.
    pub(crate) fn next(&self) -> u64 {
        self.base + self.held.len() as u64
    }

    /// Messages held, oldest first, with their numbers: what a new connection sends again.
    pub(crate) fn unacknowledged(&self) -> impl Iterator<Item = (u64, &T)> {
        (self.base..).zip(self.held.iter())
    }

    pub(crate) fn len(&self) -> usize {
        self.held.len()
    }
}

/// What one side delivered: message numbers arrive in order over a connection, and again from an
/// earlier number after a reconnect; each number is delivered once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// The next one: deliver it.
    Deliver,
    /// Delivered before (sent again after a reconnect): drop it.
    Duplicate,
    /// Later than the next one: something in between is missing (never on a FIFO port).
    Gap,
}

/// The receiving counter of one direction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inbox {
    delivered: u64,
}

impl Inbox {
    /// Every message before `delivered` was delivered already.
    pub(crate) fn starting_at(delivered: u64) -> Self {
        Inbox { delivered }
    }

    /// Classifies message `seq`, counting it when it is the next one.
    pub(crate) fn arrive(&mut self, seq: u64) -> Arrival {
        match seq.cmp(&self.delivered) {
            std::cmp::Ordering::Less => Arrival::Duplicate,
            std::cmp::Ordering::Equal => {
                self.delivered += 1;
                Arrival::Deliver
            }
            std::cmp::Ordering::Greater => Arrival::Gap,
        }
    }

    /// How many messages were delivered (the `ack` to send).
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_numbers_holds_and_lets_go_on_ack() {
        let mut out = Outbox::starting_at(10, 3);
        assert_eq!(out.push('a'), Some(10));
        assert_eq!(out.push('b'), Some(11));
        assert_eq!(out.push('c'), Some(12));
        assert_eq!(out.push('d'), None, "the bound: refused, not dropped");
        assert_eq!(out.len(), 3);
        out.acknowledge(12);
        assert_eq!(out.base(), 12);
        assert_eq!(out.unacknowledged().collect::<Vec<_>>(), [(12, &'c')]);
        assert_eq!(out.push('d'), Some(13));
        out.acknowledge(5); // an old ack changes nothing
        assert_eq!(out.base(), 12);
        out.acknowledge(99); // capped at what was sent
        assert_eq!((out.base(), out.next(), out.len()), (14, 14, 0));
    }

    #[test]
    fn inbox_delivers_each_number_once_in_order() {
        let mut inbox = Inbox::starting_at(0);
        let seen: Vec<Arrival> = [0, 1, 0, 1, 2, 4, 3]
            .into_iter()
            .map(|s| inbox.arrive(s))
            .collect();
        use Arrival::*;
        assert_eq!(
            seen,
            [Deliver, Deliver, Duplicate, Duplicate, Deliver, Gap, Deliver]
        );
        assert_eq!(inbox.delivered(), 4);
    }

    #[test]
    fn resuming_at_the_acknowledged_count_loses_and_repeats_nothing() {
        // Sender sent 0..8; the receiver delivered 0..5 and acknowledged 0..3 before the link
        // broke. Resent from the outbox (3..8) to a receiver that resumes at 5: 5..8 delivered.
        let mut out = Outbox::starting_at(0, 100);
        for i in 0..8 {
            out.push(i);
        }
        out.acknowledge(3);
        let mut inbox = Inbox::starting_at(5);
        let delivered: Vec<i32> = out
            .unacknowledged()
            .filter(|(seq, _)| inbox.arrive(*seq) == Arrival::Deliver)
            .map(|(_, m)| *m)
            .collect();
        assert_eq!(delivered, [5, 6, 7]);
    }
}
