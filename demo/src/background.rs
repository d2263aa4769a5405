//! The background script: routes each new port by name (the MDN port, the ports page, the test
//! command port, the rpc scenarios, the lifecycle tests), opens the ports page from the toolbar
//! button, and answers the test commands clicked in the page.

use crate::js::{self, log, outcome, reason};
use crate::protocol::{report, Burst, Command, Reports};
use crate::{contexts, external, mdn, native, port_log, rpc_scenarios};
use futures::{FutureExt, StreamExt};
use js_sys::Reflect;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use webext_port::port_set::PortKey;
use webext_port::{rpc, runtime, tabs, ConnectListener, Port, PortError};

/// The `action.onClicked` listener, kept for the background's life.
type ClickListener = Closure<dyn FnMut(JsValue)>;

thread_local! {
    static ON_CONNECT: RefCell<Option<ConnectListener>> = const { RefCell::new(None) };
    static ON_CLICKED: RefCell<Option<ClickListener>> = const { RefCell::new(None) };
}

pub fn start() {
    external::listen();
    match runtime::OnConnect::new().listen(connected) {
        Ok(listener) => ON_CONNECT.with(|l| *l.borrow_mut() = Some(listener)),
        Err(err) => log(&format!("cannot listen for connections: {err}")),
    }
    listen_for_clicks();
}

/// `runtime.onConnect`: every port another context opens to the background, by name.
fn connected(port: Port) {
    if crate::lifecycle::connected(&port) || crate::edge::receive(&port) {
        return;
    }
    match port.name() {
        "port-from-cs" => mdn::connected(port),
        "ports-ui" => port_log::serve_page(port),
        "typed-ping" => crate::edge::typed_pong(port),
        "commands" => serve_commands(&port),
        "rpc" => rpc_scenarios::serve(&port),
        "" => {
            // Tell the opener which name arrived; it closes the port.
            let _ = port.typed::<(), String>().send(&"\"\"".to_owned());
        }
        other => {
            let name = other.to_owned();
            test::lifecycle(port, &name)
        }
    }
}

/// `action.onClicked` (MV3 calls browserAction `action`) → the ports page, whose "broadcast"
/// button is the MDN example's broadcast.
fn listen_for_clicks() {
    let on_clicked =
        js::api("action").and_then(|action| Reflect::get(&action, &"onClicked".into()).ok());
    let Some(on_clicked) = on_clicked else { return };
    let closure = Closure::<dyn FnMut(JsValue)>::new(|_tab: JsValue| open_page("ports.html"));
    if js::call(&on_clicked, "addListener", closure.as_ref()).is_some() {
        ON_CLICKED.with(|c| *c.borrow_mut() = Some(closure));
    }
}

/// The "commands" port of one content script: each click is a request, answered with reports.
fn serve_commands(port: &Port) {
    let Some(key) = PortKey::of(port) else {
        return log("a commands port without a tab: ignored");
    };
    rpc::serve(port, move |command: Command| {
        run(command, key.clone()).map(Ok)
    })
    .forget();
}

async fn run(Command { cmd, arg }: Command, key: PortKey) -> Reports {
    if let Some(reports) = native::command(&cmd).await {
        return reports;
    }
    if let Some(reports) = external::command(&cmd, &arg).await {
        return reports;
    }
    let tab = key.tab_id;
    match cmd.as_str() {
        "port-count" => vec![report(
            "stored_ports",
            mdn::PORTS.with(|p| p.len()).to_string(),
        )],
        "received" => vec![report("bg_received", test::greetings_from(tab).join("|"))],
        "sender" => {
            let seen =
                mdn::port_of(&key).map_or("no port".to_owned(), |p| describe_sender(p.port()));
            vec![report("sender_fields", seen)]
        }
        "broadcast" => vec![report(
            "broadcast_sent",
            mdn::broadcast().delivered.len().to_string(),
        )],
        "broadcast-exactly-once" => vec![report("broadcast_receivers", test::exactly_once().await)],
        "watched" => vec![report(&format!("watched_{arg}"), test::watched(&arg).await)],
        "open-probe-page" => {
            open_page("probe.html");
            Vec::new()
        }
        "open-ports-page" => {
            open_page("ports.html");
            Vec::new()
        }
        "tab-id" => vec![report("tab_id", tab.to_string())],
        "bg-context-probe" => vec![report("context_background", contexts::probe(true, true))],
        "rpc-timeout-in-background" => {
            let value = rpc_scenarios::timeout_in_background(tab).await;
            vec![report("rpc_timeout_in_background", value)]
        }
        "tabs-connect-self" => vec![report("tabs_connect_round_trip", connect_back(tab).await)],
        "tabs-connect-default-name" => {
            match tabs::connect(tab, &tabs::ConnectInfo::new().frame_id(0)) {
                Ok(_) => Vec::new(), // the content script reports the name it saw
                Err(err) => vec![report(
                    "tabs_connect_default_name",
                    format!("err:{}", err.kind()),
                )],
            }
        }
        "tabs-connect-missing" => {
            let opened = tabs::connect(999_999, &tabs::ConnectInfo::named("nobody"));
            closing_reports(opened, "tabs_connect_missing_tab").await
        }
        "tabs-connect-negative" => {
            let result = tabs::connect(-1, &tabs::ConnectInfo::new()).map(drop);
            vec![report("tabs_connect_negative_tab", outcome(&result))]
        }
        "bg-post-after-disconnect" => {
            let result =
                tabs::connect(tab, &tabs::ConnectInfo::named("bg-ephemeral")).and_then(|port| {
                    port.disconnect()?;
                    port.typed::<(), String>().send(&"too late".to_owned())
                });
            vec![report(
                "post_after_own_disconnect_background",
                outcome(&result),
            )]
        }
        other => vec![report("unknown_command", other)],
    }
}

/// How a port we opened ends, as `KEY` (`err:<kind>` or `clean`) and `KEY_detail` (the
/// browser's words, for the log; not compared across browsers).
pub async fn closing_reports(opened: Result<Port, PortError>, key: &str) -> Reports {
    let port = match opened {
        Ok(port) => port,
        Err(err) => return vec![report(key, format!("err:{}", err.kind()))],
    };
    let why = port.closed().await;
    let detail = why.error().map_or("", |e| e.message()).to_owned();
    vec![
        report(&format!("{key}_detail"), detail),
        report(key, reason(&why)),
    ]
}

/// `tabs.connect` back to the requesting tab's top frame: what does its content script answer?
async fn connect_back(tab: i32) -> String {
    let info = tabs::ConnectInfo::named("port-from-bg").frame_id(0);
    let port = match tabs::connect(tab, &info) {
        Ok(port) => port.typed::<String, String>(),
        Err(err) => return format!("err:{}", err.kind()),
    };
    let _ = port.send(&"hello content script, from background".to_owned());
    let answer = port.messages().next().await;
    let _ = port.disconnect();
    match answer {
        Some(Ok(text)) => text,
        Some(Err(err)) => format!("err:{}", err.kind()),
        None => "closed without an answer".to_owned(),
    }
}

/// `tabs.create({url: path})`: one of the demo's extension pages (the context probe, the ports
/// page) in a new tab.
fn open_page(path: &str) {
    let options = js::object(&[("url", path.into())]);
    if js::api("tabs")
        .and_then(|tabs| js::call(&tabs, "create", &options))
        .is_none()
    {
        log(&format!("cannot open {path}"));
    }
}

/// What the background sees of a content script's `sender`, in a form both browsers share.
fn describe_sender(port: &Port) -> String {
    let Some(sender) = port.sender() else {
        return "no sender".to_owned();
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    format!(
        "name={} id={} tab={} frame={} url={} origin={} document_id={}",
        port.name(),
        if sender.id.is_some() && sender.id == runtime_id() {
            "self"
        } else {
            "other"
        },
        yes_no(sender.tab.as_ref().and_then(|t| t.id).is_some()),
        sender.frame_id.map_or("none".to_owned(), |f| f.to_string()),
        sender
            .url
            .as_deref()
            .and_then(|u| u.split('?').next())
            .unwrap_or("none"),
        sender.origin.as_deref().unwrap_or("none"),
        yes_no(sender.document_id.is_some()),
    )
}

/// This extension's id (`runtime.id`).
pub fn runtime_id() -> Option<String> {
    Reflect::get(&js::api("runtime")?, &"id".into())
        .ok()?
        .as_string()
}

pub mod test {
    //! The background's side of the lifecycle tests, and its bookkeeping of the MDN traffic.

    use super::*;
    use crate::js::quiet_period;
    use futures::channel::oneshot;
    use std::collections::{BTreeMap, HashMap};

    #[derive(Default)]
    struct Seen {
        /// Distinct greetings from each tab, in arrival order.
        greetings: HashMap<i32, Vec<String>>,
        /// Reasons each watched port name was disconnected with, so far.
        watched: HashMap<String, Vec<String>>,
        /// Each watch's result: sent by the watch, awaited by the "watched" command.
        watch_done: HashMap<String, oneshot::Sender<String>>,
        watch_result: HashMap<String, oneshot::Receiver<String>>,
        /// The exactly-once broadcast under way: its number, who got it, who answered how often.
        broadcast: u32,
        expected: Vec<PortKey>,
        receipts: BTreeMap<PortKey, u32>,
        all_in: Option<oneshot::Sender<()>>,
    }

    thread_local! {
        static SEEN: RefCell<Seen> = RefCell::new(Seen::default());
    }

    fn with<R>(f: impl FnOnce(&mut Seen) -> R) -> R {
        SEEN.with(|seen| f(&mut seen.borrow_mut()))
    }

    /// A greeting arrived on "port-from-cs".
    pub fn greeting(from: &PortKey, text: String) {
        with(|seen| {
            let seen = seen.greetings.entry(from.tab_id).or_default();
            if !seen.contains(&text) {
                seen.push(text);
            }
        });
    }

    pub fn greetings_from(tab: i32) -> Vec<String> {
        with(|seen| seen.greetings.get(&tab).cloned().unwrap_or_default())
    }

    /// A frame answered broadcast `n`.
    pub fn received(from: &PortKey, n: u32) {
        let done = with(|seen| {
            if n != seen.broadcast {
                return None;
            }
            *seen.receipts.entry(from.clone()).or_default() += 1;
            let all = seen.expected.iter().all(|k| seen.receipts.contains_key(k));
            all.then(|| seen.all_in.take()).flatten()
        });
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    /// Broadcasts a numbered message to every frame of every tab; each frame answers once. The
    /// completion signal is the last expected answer; a quiet period after it catches duplicates.
    pub async fn exactly_once() -> String {
        let (tx, rx) = oneshot::channel();
        let n = with(|seen| {
            seen.broadcast += 1;
            seen.receipts.clear();
            seen.all_in = Some(tx);
            seen.broadcast
        });
        let sent = mdn::send_to_all(&crate::protocol::ToContent::Broadcast(n));
        with(|seen| seen.expected = sent.delivered.clone());
        if sent.delivered.is_empty() {
            return "no receivers".to_owned();
        }
        if rx.await.is_err() {
            return "interrupted".to_owned();
        }
        quiet_period().await;
        with(|seen| {
            let tabs: std::collections::BTreeSet<i32> =
                seen.receipts.keys().map(|k| k.tab_id).collect();
            let subframes = seen.receipts.keys().filter(|k| k.frame_id != 0).count();
            let most = seen.receipts.values().max().copied().unwrap_or(0);
            format!(
                "receivers={} tabs={} subframes={} failed={} max_per_receiver={most}",
                seen.receipts.len(),
                tabs.len(),
                subframes,
                sent.failed.len(),
            )
        })
    }

    /// The end of the watch on ports named `name`: `"<reasons> x<count>"`.
    pub async fn watched(name: &str) -> String {
        match with(|seen| seen.watch_result.remove(name)) {
            Some(result) => result.await.unwrap_or_else(|_| "interrupted".to_owned()),
            None => "not watched".to_owned(),
        }
    }

    /// The lifecycle-test ports, by name.
    pub fn lifecycle(port: Port, name: &str) {
        match name {
            "disconnect-me" => {
                let _ = port.disconnect();
            }
            "watch-me" | "double" => watch(port),
            "late-listener" => {
                // Posted at once; the content script adds its listener only after it arrived.
                let _ = port.typed::<(), String>().send(&"early".to_owned());
            }
            "two-messages" => {
                let typed = port.typed::<(), u32>();
                let replies = typed.clone();
                typed
                    .on_message(move |_| {
                        for n in 1..=2 {
                            let _ = replies.send(&n);
                        }
                    })
                    .forget();
            }
            "big" => {
                // Answers how many characters the (64 MiB) string had; read raw, not decoded.
                let replies = port.typed::<(), f64>();
                port.on_message(move |message| {
                    let chars = message
                        .dyn_ref::<js_sys::JsString>()
                        .map_or(-1.0, |s| f64::from(s.length()));
                    let _ = replies.send(&chars);
                })
                .forget();
            }
            "burst" => burst(port.typed()),
            other => log(&format!("ignoring a port named {other:?}")),
        }
    }

    /// Records every disconnect of a watched port under its name. The first one is the
    /// completion signal: after a quiet period (to catch a late duplicate) the count is ready.
    fn watch(port: Port) {
        let name = port.name().to_owned();
        let (done, result) = oneshot::channel();
        with(|seen| {
            seen.watch_done.insert(name.clone(), done);
            seen.watch_result.insert(name.clone(), result);
        });
        port.on_disconnect(move |why| {
            let first = with(|seen| {
                let reasons = seen.watched.entry(name.clone()).or_default();
                reasons.push(reason(&why));
                reasons.len() == 1
            });
            if first {
                wasm_bindgen_futures::spawn_local(async move {
                    quiet_period().await;
                    let (reasons, done) = with(|seen| {
                        (
                            seen.watched.remove(&name).unwrap_or_default(),
                            seen.watch_done.remove(&name),
                        )
                    });
                    if let Some(done) = done {
                        let _ = done.send(format!("{} x{}", reasons.join(","), reasons.len()));
                    }
                });
            }
        });
        let _ = port.typed::<(), String>().send(&"watching".to_owned());
    }

    /// Counts the content script's numbered messages; on `Done` reports whether all arrived in
    /// order, then sends 1000 numbered messages back.
    fn burst(port: webext_port::TypedPort<Burst, Burst>) {
        let mut expected = Some(0u32);
        let replies = port.clone();
        port.on_message(move |message| match message {
            Ok(Burst::Seq(seq)) if expected == Some(seq) => expected = Some(seq + 1),
            Ok(Burst::Done(_)) => {
                let summary =
                    expected.map_or("out of order".to_owned(), |n| format!("{n} in order"));
                let _ = replies.send(&Burst::Received(summary));
                for seq in 0..1000u32 {
                    let _ = replies.send(&Burst::Seq(seq));
                }
            }
            _ => expected = None,
        })
        .forget();
    }
}
