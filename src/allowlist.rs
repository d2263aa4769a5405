//! [`Allowlist`]: which extensions may open external ports to us.

use crate::port::Port;
use crate::sender::MessageSender;

/// The extension ids allowed to connect through `runtime.onConnectExternal`.
///
/// [`admit`](Allowlist::admit) passes a port from a listed extension through and disconnects any
/// other at once, so nothing from an unlisted extension is ever read.
///
/// ```no_run
/// use webext_port::{runtime, Allowlist};
/// let allowlist = Allowlist::new(["peer@example.org", "eeipkioiegfamkjepdbdpahhcblbddbb"]);
/// let guard = runtime::on_connect_external(move |port| match allowlist.admit(port) {
///     Ok(port) => { let _ = port.post(&"welcome".into()); }
///     Err(rejected) => println!("refused {:?}", rejected.into_sender().and_then(|s| s.id)),
/// })?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    ids: Vec<String>,
}

impl Allowlist {
    /// Allows exactly these extension ids (Chromium ids and Firefox ids alike).
    ///
    /// ```
    /// let allowlist = webext_port::Allowlist::new(["peer@example.org"]);
    /// assert!(allowlist.allows("peer@example.org"));
    /// ```
    pub fn new<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Allowlist {
            ids: ids.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether `id` is listed.
    ///
    /// ```
    /// assert!(!webext_port::Allowlist::new(["a@b"]).allows("c@d"));
    /// ```
    pub fn allows(&self, id: &str) -> bool {
        self.ids.iter().any(|allowed| allowed == id)
    }

    /// `Ok(port)` when the port's sender id is listed; otherwise disconnects it and says who it was.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// let allowlist = webext_port::Allowlist::new(["peer@example.org"]);
    /// match allowlist.admit(port) {
    ///     Ok(port) => { /* talk to it */ }
    ///     Err(rejected) => println!("refused {:?}", rejected.sender().and_then(|s| s.id.as_deref())),
    /// }
    /// # }
    /// ```
    pub fn admit(&self, port: Port) -> Result<Port, Rejected> {
        let sender = port.sender();
        if sender
            .as_ref()
            .and_then(|s| s.id.as_deref())
            .is_some_and(|id| self.allows(id))
        {
            Ok(port)
        } else {
            let _ = port.disconnect();
            Err(Rejected {
                sender: sender.map(Box::new),
            })
        }
    }
}

/// A port [`Allowlist::admit`] refused (and already disconnected).
///
/// It carries only who asked, not the port: nothing from an unlisted extension can be read or
/// answered. Log it (an unknown extension trying to talk to yours is worth knowing about) or count
/// it; there is nothing to close.
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// use webext_port::Allowlist;
/// let allowlist = Allowlist::new(["peer@example.org"]);
/// if let Err(rejected) = allowlist.admit(port) {
///     // `None` when the browser named no sender id (then the port could not be admitted either).
///     let who = rejected.sender().and_then(|s| s.id.as_deref()).unwrap_or("an unknown sender");
///     println!("refused a connection from {who}");
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    sender: Option<Box<MessageSender>>,
}

impl Rejected {
    /// Who opened the refused port, as the browser said.
    ///
    /// ```no_run
    /// # fn demo(rejected: webext_port::Rejected) {
    /// let id = rejected.sender().and_then(|s| s.id.as_deref());
    /// # }
    /// ```
    pub fn sender(&self) -> Option<&MessageSender> {
        self.sender.as_deref()
    }

    /// The sender, by value.
    ///
    /// ```no_run
    /// # fn demo(rejected: webext_port::Rejected) {
    /// let sender: Option<webext_port::MessageSender> = rejected.into_sender();
    /// # }
    /// ```
    pub fn into_sender(self) -> Option<MessageSender> {
        self.sender.map(|s| *s)
    }
}

#[cfg(test)]
mod tests {
    use super::Allowlist;

    #[test]
    fn only_listed_ids_are_allowed() {
        let allowlist = Allowlist::new(["peer@example.org", "eeipkioiegfamkjepdbdpahhcblbddbb"]);
        assert!(allowlist.allows("peer@example.org"));
        assert!(allowlist.allows("eeipkioiegfamkjepdbdpahhcblbddbb"));
        assert!(!allowlist.allows("peer@example.org "));
        assert!(!allowlist.allows(""));
        assert!(!Allowlist::default().allows("peer@example.org"));
    }
}
