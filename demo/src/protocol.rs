//! Every message the demo's contexts exchange, as Rust types: the MDN greetings, the test
//! commands (request/response), and the small protocols of the lifecycle tests.

use serde::{Deserialize, Serialize};

/// Content script → background on "port-from-cs" (MDN: `{greeting: "hello from content script"}`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum FromContent {
    /// A greeting, logged and remembered by the background.
    Greeting(String),
    /// Test instrumentation: "this frame received broadcast `n`" (counted exactly once per frame).
    Received(u32),
}

/// Background → content script on "port-from-cs".
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum ToContent {
    /// MDN: "hi there content script!", and the broadcast "they clicked the button!".
    Greeting(String),
    /// A numbered broadcast for the exactly-once test (each frame answers `Received(n)`).
    Broadcast(u32),
    /// A message typed on the ports page, sent to this one port (shown as `r-ports_page_message`).
    Note(String),
}

/// One content-script port as the background's bookkeeping sees it: a row of the ports page.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PortRow {
    /// The background's number for this connection (the same frame connecting again is a new row).
    pub id: u32,
    /// `sender.tab.id`.
    pub tab_id: i32,
    /// `sender.frameId`.
    pub frame_id: i64,
    /// The port's name.
    pub name: String,
    /// When it connected, in ms since the epoch.
    pub since: f64,
    /// Messages received from that port.
    pub received: u32,
    /// Messages sent to that port.
    pub sent: u32,
    /// The last error's kind (an `ErrorKind` name): a send refused, a message that did not
    /// decode, the disconnect's error.
    pub last_error: Option<String>,
    /// `None` while connected; how it ended: `clean`, `err:<kind>`, `closed by the ports page`.
    pub ended: Option<String>,
}

/// One line of port traffic: a connect, a message either way, a disconnect.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Traffic {
    /// Its number in this background instance (from 1).
    pub seq: u32,
    /// When, in ms since the epoch.
    pub at: f64,
    /// The row (connection) it belongs to.
    pub row: u32,
    /// The row's tab and frame, so that a line reads alone.
    pub tab_id: i32,
    /// See `tab_id`.
    pub frame_id: i64,
    /// `connected`, `<- message`, `-> message`, `disconnected: clean`, …
    pub what: String,
}

/// Background → the ports page, on its "ports-ui" port.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum ToPortsPage {
    /// The first message on a new "ports-ui" port: every row and the recent traffic. `boot`
    /// tells background instances apart (a stopped and restarted background starts again at
    /// `seq` 1).
    Snapshot {
        boot: f64,
        rows: Vec<PortRow>,
        traffic: Vec<Traffic>,
    },
    /// One row is new or changed.
    Row(PortRow),
    /// One more line of traffic.
    Traffic(Traffic),
}

/// The ports page → background: what its buttons ask for.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum FromPortsPage {
    /// Send `text` to the port of row `row` only (as [`ToContent::Note`]).
    Send { row: u32, text: String },
    /// The MDN broadcast ("they clicked the button!") to every content script, as the toolbar
    /// button did before it opened this page.
    Broadcast,
    /// Disconnect the port of row `row`.
    Disconnect { row: u32 },
    /// Nothing to do: sent every 20 s while the page is open, so that the browser does not stop
    /// an idle background (and its bookkeeping) under it.
    KeepAlive,
}

/// A test command clicked in the page, sent to the background over the "commands" port with
/// [`webext_port::rpc`]; answered with the observations to show in the page.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Command {
    /// The button's `data-cmd`.
    pub cmd: String,
    /// The button's `data-arg` (e.g. the peer extension's id), `""` when none.
    pub arg: String,
}

/// One observation, shown as `<output id="r-KEY">VALUE</output>`.
pub type Report = (String, String);

/// The answer to a [`Command`].
pub type Reports = Vec<Report>;

/// `(key, value)` as a [`Report`].
pub fn report(key: &str, value: impl Into<String>) -> Report {
    (key.to_owned(), value.into())
}

/// The "burst" port: 1000 numbered messages each way, then a summary.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum Burst {
    /// Message number `n`.
    Seq(u32),
    /// The sender is done (`true`: every post succeeded).
    Done(bool),
    /// What the background saw of the content script's burst.
    Received(String),
}

/// Requests on the "rpc" port (the request/response scenarios).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum Ask {
    /// Answered with the same text.
    Echo(String),
    /// Answered with `n`, after `ms` milliseconds.
    After { n: u32, ms: u32 },
    /// Answered with a handler error of kind `handler_failed`.
    Fail(String),
    /// Never answered: the caller's timeout or a disconnect must end it.
    Never,
    /// The background disconnects this port without answering.
    DisconnectMe,
}

/// What the test native host understands (`tests/native-host/`): `{"cmd": …}` plus its arguments.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct HostCommand {
    /// The host's mode: echo, burst, exit, crash, oversize, invalid_json, pid.
    pub cmd: &'static str,
    /// What `echo` sends back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// How many messages `burst` sends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl HostCommand {
    /// A command without arguments.
    pub fn new(cmd: &'static str) -> Self {
        HostCommand {
            cmd,
            value: None,
            count: None,
        }
    }
}

/// What the test native host answers: one of these fields per message.
#[derive(Deserialize, Debug, Clone, PartialEq, Default)]
pub struct HostReply {
    /// `echo`'s answer.
    pub echo: Option<String>,
    /// `burst`'s message number.
    pub burst: Option<u32>,
    /// `pid`'s answer.
    pub pid: Option<u32>,
}
