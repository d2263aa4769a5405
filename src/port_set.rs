//! [`PortSet`]: the background's ports to content scripts, one per frame, kept up to date.
//!
//! The MDN "multiple content scripts" example stores `ports[sender.tab.id] = port`. That breaks
//! as soon as a tab has the content script in two frames (the second port overwrites the first)
//! and it keeps ports of closed tabs unless every author remembers `onDisconnect`. A `PortSet`
//! keys each port by [`PortKey`] (tab id, frame id, document id), removes it itself when it
//! disconnects, and sends to one frame, one tab (all its frames) or everyone, reporting which
//! ports failed.
//!
//! ```no_run
//! use webext_port::{port_set::PortSet, runtime};
//!
//! // Background: every content script's port, typed (here plain strings both ways).
//! let ports: PortSet<String, String> = PortSet::new();
//! let set = ports.clone();
//! runtime::on_connect(move |port| {
//!     let _ = set.insert(port.typed()); // refused (Err) for ports that come from no tab
//! })?
//! .forget();
//! // Later: once per frame of every tab still connected; closed tabs are already gone.
//! let sent = ports.broadcast(&"they clicked the button!".to_owned());
//! println!("{} delivered, {} failed", sent.delivered.len(), sent.failed.len());
//! # Ok::<(), webext_port::PortError>(())
//! ```

use crate::codec;
use crate::error::{ErrorKind, PortError};
use crate::port::{Port, TypedPort};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::{Rc, Weak};

/// Where a content script's port comes from: its tab, frame and document.
///
/// Ordered by tab, then frame, then document, which is also the order of [`PortSet::keys`].
///
/// ```
/// use webext_port::port_set::PortKey;
/// // Two frames of one tab are two keys: a broadcast reaches both.
/// let top = PortKey { tab_id: 7, frame_id: 0, document_id: None };
/// let iframe = PortKey { tab_id: 7, frame_id: 3, document_id: None };
/// assert_ne!(top, iframe);
/// assert_eq!(top.tab_id, iframe.tab_id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortKey {
    /// `sender.tab.id`.
    pub tab_id: i32,
    /// `sender.frameId` (0 = the top frame; Firefox's subframe ids exceed `i32`).
    pub frame_id: i64,
    /// `sender.documentId` (Chromium 106+, Firefox 153+; `None` where the browser has none): a
    /// frame that navigated is a new document, so its new port does not collide with a stale one.
    pub document_id: Option<String>,
}

impl PortKey {
    /// The key of a port received in `onConnect`, from its sender; `None` when the port does not
    /// come from a frame of a tab (an extension page, the popup, another extension).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// match webext_port::port_set::PortKey::of(&port) {
    ///     Some(key) => println!("tab {} frame {}", key.tab_id, key.frame_id),
    ///     None => println!("not from a content script"),
    /// }
    /// # }
    /// ```
    pub fn of(port: &Port) -> Option<PortKey> {
        let sender = port.sender()?;
        Some(PortKey {
            tab_id: sender.tab.as_ref()?.id?,
            frame_id: sender.frame_id?,
            document_id: sender.document_id,
        })
    }
}

impl PortKey {
    /// "tab 3 frame 0", then " document …" when there is one (what `Display` writes).
    fn text(&self) -> String {
        let document = match &self.document_id {
            Some(document) => [" document ", document.as_str()],
            None => ["", ""],
        };
        crate::text::concat(&[
            "tab ",
            itoa::Buffer::new().format(self.tab_id),
            " frame ",
            itoa::Buffer::new().format(self.frame_id),
            document[0],
            document[1],
        ])
    }
}

impl fmt::Display for PortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// What a send to several ports did: which got the message, and which failed and why.
///
/// A port that failed because it was already closed is also removed from the set.
///
/// ```no_run
/// # fn demo(set: webext_port::port_set::PortSet<String, String>) {
/// let sent = set.broadcast(&"they clicked the button!".to_owned());
/// for (key, err) in &sent.failed {
///     println!("{key}: {err}"); // e.g. the tab closed between two events
/// }
/// println!("reached {} content scripts", sent.delivered.len());
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Sent {
    /// The ports the message was posted to, in key order.
    pub delivered: Vec<PortKey>,
    /// The ports it could not be posted to, with the reason, in key order.
    pub failed: Vec<(PortKey, PortError)>,
}

impl Sent {
    /// Whether every port got the message (also true when there was none).
    ///
    /// ```
    /// assert!(webext_port::port_set::Sent::default().is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

type Entries<In, Out> = RefCell<BTreeMap<PortKey, TypedPort<In, Out>>>;

/// The background's content-script ports, keyed by [`PortKey`] and typed: messages out are
/// `Out`, messages in are `In` (listen on each port as it is inserted).
///
/// Use it instead of a map from tab id to port, which loses a frame's port when a tab has the
/// content script in several frames and keeps closed ports unless every `onDisconnect` cleans up
/// (see the [module docs](crate::port_set)).
///
/// - [`insert`](PortSet::insert) keys a port by its sender; a later port with the same key (the
///   same document connecting again) replaces the earlier one.
/// - A port that disconnects removes itself (its successor under the same key stays); so does one
///   we disconnect, at the next operation on the set.
/// - [`send_to_frame`](PortSet::send_to_frame), [`send_to_tab`](PortSet::send_to_tab) (every frame
///   of one tab) and [`broadcast`](PortSet::broadcast) encode the message once and report each
///   port's outcome in [`Sent`].
///
/// `PortSet` is a cheap handle (`Clone` shares the set), so a disconnect callback or a task can
/// hold one.
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use webext_port::{port_set::PortSet, runtime};
///
/// #[derive(Serialize, Deserialize, Debug)]
/// enum ToContent { Greeting(String) }
/// #[derive(Serialize, Deserialize, Debug)]
/// enum FromContent { Greeting(String) }
///
/// let ports: PortSet<FromContent, ToContent> = PortSet::new();
/// let set = ports.clone();
/// let guard = runtime::on_connect(move |port| {
///     // Only content scripts have a tab; anything else is refused by insert.
///     if let Ok(key) = set.insert(port.typed()) {
///         let _ = set.send_to_frame(&key, &ToContent::Greeting("hi there content script!".into()));
///     }
/// })?;
/// // Later, e.g. on action.onClicked: every frame of every tab, once each.
/// let sent = ports.broadcast(&ToContent::Greeting("they clicked the button!".into()));
/// for (key, err) in &sent.failed {
///     println!("{key}: {err}"); // e.g. that tab closed a moment ago
/// }
/// # drop(guard);
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub struct PortSet<In, Out> {
    entries: Rc<Entries<In, Out>>,
}

impl<In, Out> Clone for PortSet<In, Out> {
    fn clone(&self) -> Self {
        PortSet {
            entries: self.entries.clone(),
        }
    }
}

impl<In, Out> Default for PortSet<In, Out> {
    fn default() -> Self {
        PortSet {
            entries: Rc::default(),
        }
    }
}

impl<In, Out> fmt::Debug for PortSet<In, Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.entries.borrow().keys()).finish()
    }
}

impl<In, Out> PortSet<In, Out>
where
    In: serde::de::DeserializeOwned + 'static,
    Out: serde::Serialize + 'static,
{
    /// An empty set.
    ///
    /// ```
    /// let set = webext_port::port_set::PortSet::<String, String>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `port` under its sender's [`PortKey`] and returns the key; the port leaves the set by
    /// itself when it disconnects. A port already in the set under that key is replaced (it stays
    /// open: it is the caller's to close). Fails with [`InvalidArgument`](ErrorKind::InvalidArgument)
    /// for a port that does not come from a tab, and [`Disconnected`](ErrorKind::Disconnected) for
    /// one that is already closed.
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>, port: webext_port::Port) {
    /// match set.insert(port.typed()) {
    ///     Ok(key) => println!("content script in {key}"),
    ///     Err(err) => println!("not kept: {err}"),
    /// }
    /// # }
    /// ```
    pub fn insert(&self, port: TypedPort<In, Out>) -> Result<PortKey, PortError> {
        let Some(key) = PortKey::of(port.port()) else {
            return Err(PortError::new(
                ErrorKind::InvalidArgument,
                "the port does not come from a tab (no sender.tab.id)",
            ));
        };
        if !port.port().is_connected() {
            return Err(PortError::new(
                ErrorKind::Disconnected,
                "the port is already disconnected",
            ));
        }
        let weak: Weak<Entries<In, Out>> = Rc::downgrade(&self.entries);
        let (id, removed_key) = (port.port().id(), key.clone());
        // Owned by the connection: no guard to keep, freed when it fires.
        port.on_disconnect(move |_| {
            let Some(entries) = weak.upgrade() else {
                return;
            };
            let mut entries = entries.borrow_mut();
            // A successor under the same key is not this port: leave it.
            if entries
                .get(&removed_key)
                .is_some_and(|p| p.port().id() == id)
            {
                let gone = entries.remove(&removed_key);
                drop(entries);
                drop(gone);
            }
        });
        let replaced = self.entries.borrow_mut().insert(key.clone(), port);
        drop(replaced);
        Ok(key)
    }

    /// Removes the port under `key` (without disconnecting it) and returns it.
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>, key: webext_port::port_set::PortKey) {
    /// // Hand one frame's port to other code, or close it ourselves.
    /// if let Some(port) = set.remove(&key) {
    ///     let _ = port.disconnect();
    /// }
    /// # }
    /// ```
    pub fn remove(&self, key: &PortKey) -> Option<TypedPort<In, Out>> {
        let removed = self.entries.borrow_mut().remove(key);
        removed
    }

    /// The port under `key`, if it is still connected.
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>, key: webext_port::port_set::PortKey) {
    /// if let Some(port) = set.get(&key) {
    ///     let _ = port.send(&1);
    /// }
    /// # }
    /// ```
    pub fn get(&self, key: &PortKey) -> Option<TypedPort<In, Out>> {
        self.prune();
        self.entries.borrow().get(key).cloned()
    }

    /// The keys of every connected port, in order (tab, frame, document).
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>) {
    /// let tabs: std::collections::BTreeSet<i32> = set.keys().iter().map(|k| k.tab_id).collect();
    /// # }
    /// ```
    pub fn keys(&self) -> Vec<PortKey> {
        self.prune();
        self.entries.borrow().keys().cloned().collect()
    }

    /// How many connected ports the set holds.
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>) {
    /// println!("{} content scripts connected", set.len());
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        self.prune();
        self.entries.borrow().len()
    }

    /// Whether the set holds no connected port.
    ///
    /// ```
    /// assert!(webext_port::port_set::PortSet::<u32, u32>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `message` to the one port under `key`. No such port is
    /// [`NoReceiver`](ErrorKind::NoReceiver), the wording `tabs.connect` uses for a missing frame.
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>, key: webext_port::port_set::PortKey) {
    /// // Answer the frame that asked, not its whole tab.
    /// let _ = set.send_to_frame(&key, &42);
    /// # }
    /// ```
    pub fn send_to_frame(&self, key: &PortKey, message: &Out) -> Result<(), PortError> {
        let sent = self.send_where(message, |k| k == key);
        match (sent.failed.into_iter().next(), sent.delivered.is_empty()) {
            (Some((_, err)), _) => Err(err),
            (None, true) => Err(PortError::new(
                ErrorKind::NoReceiver,
                crate::text::concat(&["no port in the set for ", &key.text()]),
            )),
            (None, false) => Ok(()),
        }
    }

    /// Sends `message` to every port of tab `tab_id` (each of its frames and documents, once).
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>) {
    /// let sent = set.send_to_tab(7, &1);
    /// if sent.delivered.is_empty() { println!("no content script in tab 7"); }
    /// # }
    /// ```
    pub fn send_to_tab(&self, tab_id: i32, message: &Out) -> Sent {
        self.send_where(message, |k| k.tab_id == tab_id)
    }

    /// Sends `message` to every port in the set, once each.
    ///
    /// ```no_run
    /// # fn demo(set: webext_port::port_set::PortSet<u32, u32>) {
    /// let sent = set.broadcast(&0);
    /// assert!(sent.is_complete(), "some frames missed it: {:?}", sent.failed);
    /// # }
    /// ```
    pub fn broadcast(&self, message: &Out) -> Sent {
        self.send_where(message, |_| true)
    }

    /// Encodes once, posts to each matching port; a port found closed leaves the set.
    fn send_where(&self, message: &Out, mut wanted: impl FnMut(&PortKey) -> bool) -> Sent {
        // Snapshot first: posting never re-enters the set, but a caller's code might.
        let targets: Vec<(PortKey, Port)> = self
            .entries
            .borrow()
            .iter()
            .filter(|(key, _)| wanted(key))
            .map(|(key, port)| (key.clone(), port.port().clone()))
            .collect();
        let mut sent = Sent::default();
        if targets.is_empty() {
            return sent;
        }
        let encoded = match codec::encode(message) {
            Ok(encoded) => encoded,
            Err(err) => {
                sent.failed = targets.into_iter().map(|(k, _)| (k, err.clone())).collect();
                return sent;
            }
        };
        for (key, port) in targets {
            match port.post_unchecked(&encoded) {
                Ok(()) => sent.delivered.push(key),
                Err(err) => sent.failed.push((key, err)),
            }
        }
        self.prune();
        sent
    }

    /// Drops ports that closed without telling us (our own `disconnect()` fires no callback).
    fn prune(&self) {
        let closed: Vec<TypedPort<In, Out>> = {
            let mut entries = self.entries.borrow_mut();
            let keys: Vec<PortKey> = entries
                .iter()
                .filter(|(_, port)| !port.port().is_connected())
                .map(|(key, _)| key.clone())
                .collect();
            keys.iter().filter_map(|key| entries.remove(key)).collect()
        };
        drop(closed);
    }
}

#[cfg(test)]
mod tests {
    use super::PortKey;

    #[test]
    fn a_key_reads_as_tab_frame_and_document() {
        let mut key = PortKey {
            tab_id: 3,
            frame_id: 8_589_934_593,
            document_id: None,
        };
        assert_eq!(key.to_string(), "tab 3 frame 8589934593");
        key.document_id = Some("D1".to_owned());
        assert_eq!(key.to_string(), "tab 3 frame 8589934593 document D1");
    }
}
