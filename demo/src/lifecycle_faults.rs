//! Fault test commands (issue 9, item 4): what each side of a port observes when the other end's
//! tab closes or navigates, a native host is killed, one frame of a multi-frame `tabs.connect`
//! goes away, or the extension is reloaded under a live content script.
//!
//! The background keeps the ports it is told to watch, by tag, with every disconnect they saw.
//! A later `fault-query:TAG` port (from any tab) gets `"watch=<disconnects> post=<outcome>"`: what
//! the kept port saw (`none`, or `clean x1`, `err:<kind> x1`: the reason and how many times) and
//! what a `post` into it now returns. The e2e test polls the query until the disconnect shows (the
//! completion signal) and asks once more after a quiet period, so "x1" means exactly once.
//!
//! Content commands: `fault-watch TAG` (a port to the background and a `tabs.connect` back to this
//! tab's top frame, both watched; reports `fault_ready`), `fault-query TAG` (reports
//! `fault_query`), `fault-frames all|top` (a `tabs.connect` to every frame of this tab or to the
//! top frame only; reports `fault_frames` = how many frames answered), `fault-native` (opens the
//! native host and reports `fault_native_pid`), `reload-watch` and `reload-probe` (reload the
//! extension under this content script, then try to use it; report `reload_*`).

use crate::content::report;
use crate::js::{self, object, outcome, quiet_period, reason};
use crate::lifecycle::string;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use webext_port::reconnect::{ReconnectOptions, ReconnectingPort, Status};
use webext_port::{runtime, tabs, ConnectInfo, Disconnect, Port};

/// Every disconnect a watched port saw.
type Seen = Rc<RefCell<Vec<String>>>;

thread_local! {
    /// Background: the watched ports by tag.
    static WATCHED: RefCell<BTreeMap<String, (Port, Seen)>> = const { RefCell::new(BTreeMap::new()) };
    /// Content: ports kept open for the page's life (a subframe's watched port).
    static KEPT: RefCell<Vec<Port>> = const { RefCell::new(Vec::new()) };
    /// Content: the reconnecting port of `reload-watch`.
    static RECONNECTING: RefCell<Option<ReconnectingPort<(u32, u32), u32>>> = const { RefCell::new(None) };
}

/// Content: runs a fault command; false when `cmd` is not one.
pub fn run(cmd: &str, arg: &str) -> bool {
    match cmd {
        "fault-watch" => ask(&format!("fault-watch:{arg}"), "fault_ready"),
        "fault-query" => ask(&format!("fault-query:{arg}"), "fault_query"),
        "fault-frames" => ask(&format!("fault-frames:{arg}"), "fault_frames"),
        "fault-native" => ask("fault-native", "fault_native_pid"),
        "reload-watch" => reload_watch(),
        "reload-probe" => reload_probe(),
        _ => return false,
    }
    true
}

/// Opens a port named `name` and reports the background's `{fault}` answer as `key`.
fn ask(name: &str, key: &'static str) {
    let port = match runtime::connect(&ConnectInfo::named(name)) {
        Ok(port) => port,
        Err(err) => return report(key, &format!("connect failed: err:{}", err.kind())),
    };
    let replies = port.clone();
    port.on_message(move |message| {
        if let Some(answer) = string(&message, "fault") {
            report(key, &answer);
            if key != "fault_ready" {
                let _ = replies.disconnect();
            }
        }
    })
    .forget();
}

/// Content: a `tabs.connect` from a fault test reached this frame: say hello (and whether this is
/// the top frame); a subframe also opens a watched port, so the background sees it go away.
/// False when `port` is not a fault port.
pub fn received(port: &Port) -> bool {
    let Some(tag) = port.name().strip_prefix("fault-opener:") else {
        return false;
    };
    let top = web_sys::window()
        .and_then(|w| w.top().ok().flatten().map(|top| top == w))
        .unwrap_or(false);
    let _ = port.post(&object(&[("hi", top.into())]));
    if !top {
        if let Ok(own) = runtime::connect(&ConnectInfo::named(format!("fault-keep:{tag}/sub"))) {
            KEPT.with(|k| k.borrow_mut().push(own));
        }
    }
    KEPT.with(|k| k.borrow_mut().push(port.clone()));
    true
}

/// Background: takes the fault ports; false when `port` is not one.
pub fn connected(port: &Port) -> bool {
    let name = port.name().to_owned();
    if let Some(tag) = name.strip_prefix("fault-watch:") {
        watch_with_opener(port, tag);
    } else if let Some(tag) = name.strip_prefix("fault-keep:") {
        watch(port, tag);
    } else if let Some(tag) = name.strip_prefix("fault-query:") {
        let _ = port.post(&answer(query(tag)));
    } else if let Some(mode) = name.strip_prefix("fault-frames:") {
        frames(port, mode);
    } else if name == "fault-native" {
        wasm_bindgen_futures::spawn_local(native(port.clone()));
    } else if name == "fault-reload" {
        reload_on_request(port);
    } else {
        return false;
    }
    true
}

fn answer(text: String) -> JsValue {
    object(&[("fault", text.into())])
}

/// Keeps `port` under `tag`, recording its disconnects.
fn watch(port: &Port, tag: &str) {
    let seen: Seen = Rc::default();
    let sink = seen.clone();
    port.on_disconnect(move |why| sink.borrow_mut().push(reason(&why)));
    WATCHED.with(|w| w.borrow_mut().insert(tag.to_owned(), (port.clone(), seen)));
}

/// `"<reason> x<count>"` for the disconnects seen, `none` without any.
fn summary(seen: &[String]) -> String {
    match seen.first() {
        None => "none".to_owned(),
        Some(first) if seen.iter().all(|s| s == first) => format!("{first} x{}", seen.len()),
        Some(_) => seen.join("+"),
    }
}

/// What the ports under `tag` (and `tag/opener`) saw, and what a post into them returns now.
fn query(tag: &str) -> String {
    WATCHED.with(|w| {
        let watched = w.borrow();
        let Some((port, seen)) = watched.get(tag) else {
            return format!("nothing watched as {tag}");
        };
        let post = outcome(&port.post(&object(&[("probe", true.into())])));
        let mut verdict = format!("watch={}", summary(&seen.borrow()));
        if let Some((_, opener)) = watched.get(&format!("{tag}/opener")) {
            verdict.push_str(&format!(" opener={}", summary(&opener.borrow())));
        }
        verdict.push_str(&format!(" post={post}"));
        verdict
    })
}

/// The requesting tab's id, if the port came from a tab.
fn tab_of(port: &Port) -> Option<i32> {
    port.sender()?.tab?.id
}

/// Watches the content script's port, and a `tabs.connect` back to its top frame (the opener
/// side); says ready once the content script answered on the latter.
fn watch_with_opener(port: &Port, tag: &str) {
    watch(port, tag);
    let Some(tab) = tab_of(port) else {
        let _ = port.post(&answer("no tab".to_owned()));
        return;
    };
    let info = tabs::ConnectInfo::named(format!("fault-opener:{tag}")).frame_id(0);
    let opener = match tabs::connect(tab, &info) {
        Ok(opener) => opener,
        Err(err) => {
            let _ = port.post(&answer(format!("tabs.connect: err:{}", err.kind())));
            return;
        }
    };
    watch(&opener, &format!("{tag}/opener"));
    let requester = port.clone();
    opener
        .on_message(move |message| {
            if js_sys::Reflect::get(&message, &"hi".into()).is_ok_and(|h| !h.is_undefined()) {
                let _ = requester.post(&answer("ready".to_owned()));
            }
        })
        .forget();
}

/// `tabs.connect` to every frame of the requesting tab (`all`) or its top frame (`top`), watched
/// as `frames-<mode>`; answers how many frames said hello (counted after the first hello and a
/// quiet period).
fn frames(port: &Port, mode: &str) {
    let Some(tab) = tab_of(port) else {
        let _ = port.post(&answer("no tab".to_owned()));
        return;
    };
    let tag = format!("frames-{mode}");
    let mut info = tabs::ConnectInfo::named(format!("fault-opener:{tag}"));
    if mode == "top" {
        info = info.frame_id(0);
    }
    let opener = match tabs::connect(tab, &info) {
        Ok(opener) => opener,
        Err(err) => {
            let _ = port.post(&answer(format!("tabs.connect: err:{}", err.kind())));
            return;
        }
    };
    watch(&opener, &tag);
    let count = Rc::new(RefCell::new(0u32));
    let requester = port.clone();
    opener
        .on_message(move |message| {
            if js_sys::Reflect::get(&message, &"hi".into()).is_ok_and(|h| h.is_undefined()) {
                return;
            }
            *count.borrow_mut() += 1;
            if *count.borrow() == 1 {
                let (count, requester) = (count.clone(), requester.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    quiet_period().await;
                    let answers = *count.borrow();
                    let _ = requester.post(&answer(format!("answers={answers}")));
                });
            }
        })
        .forget();
}

/// Opens the native host, watched as `native`, and answers its process id.
async fn native(port: Port) {
    let host = match crate::native::open() {
        Ok(host) => host,
        Err(err) => {
            let _ = port.post(&answer(format!("err:{}", err.kind())));
            return;
        }
    };
    watch(host.port(), "native");
    let pid = crate::native::pid(&host).await;
    let _ = port.post(&answer(pid.map_or("none".to_owned(), |p| p.to_string())));
}

/// Background: `{reload}` on a "fault-reload" port is answered "reloading"; the content
/// script's `{go}` then reloads the extension (`runtime.reload()`). Two steps, because Chromium
/// drops a message posted just before the reload.
fn reload_on_request(port: &Port) {
    let replies = port.clone();
    port.on_message(move |message| {
        let has =
            |key: &str| js_sys::Reflect::get(&message, &key.into()).is_ok_and(|v| v.is_truthy());
        if has("reload") {
            let _ = replies.post(&answer("reloading".to_owned()));
        } else if has("go") {
            let runtime = js::api("runtime");
            let reload = runtime
                .as_ref()
                .and_then(|r| js_sys::Reflect::get(r, &"reload".into()).ok())
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            let failed = match (runtime, reload) {
                (Some(runtime), Some(reload)) => {
                    reload.call0(&runtime).err().map(|e| format!("{e:?}"))
                }
                _ => Some("no runtime.reload".to_owned()),
            };
            if let Some(failed) = failed {
                let _ = replies.post(&answer(format!("runtime.reload(): {failed}")));
            }
        }
    })
    .forget();
}

/// Content: a plain port and a reconnecting port are open when the background reloads the
/// extension. Reports `reload_requested` (the background's answer before it reloads),
/// `reload_disconnect` (how the plain port ended) and `reload_reconnecting` (where the
/// reconnecting port stopped); `reload-probe` then reports `reload_probe`: a new
/// `runtime.connect`, and a post on the plain port.
fn reload_watch() {
    let plain = match runtime::connect(&ConnectInfo::named("fault-reload")) {
        Ok(port) => port,
        Err(err) => return report("reload_requested", &format!("connect: err:{}", err.kind())),
    };
    let go = plain.clone();
    plain
        .on_message(move |message| {
            if let Some(text) = string(&message, "fault") {
                report("reload_requested", &text);
                if text == "reloading" {
                    let _ = go.post(&object(&[("go", true.into())]));
                }
            }
        })
        .forget();
    plain.on_disconnect(|why: Disconnect| report("reload_disconnect", &reason(&why)));
    let reconnecting = match ReconnectingPort::connect("stream", ReconnectOptions::default()) {
        Ok(port) => port,
        Err(err) => return report("reload_reconnecting", &format!("err:{}", err.kind())),
    };
    let asked = Rc::new(RefCell::new(false));
    let request = plain.clone();
    reconnecting.on_status(move |status| match status {
        Status::Connected if !*asked.borrow() => {
            *asked.borrow_mut() = true;
            if let Err(err) = request.post(&object(&[("reload", true.into())])) {
                report("reload_requested", &format!("post: err:{}", err.kind()));
            }
        }
        Status::Failed(err) => report(
            "reload_reconnecting",
            &format!("failed: err:{}", err.kind()),
        ),
        _ => {}
    });
    RECONNECTING.with(|r| *r.borrow_mut() = Some(reconnecting));
    KEPT.with(|k| k.borrow_mut().push(plain));
}

/// Content, after the reload: a new `runtime.connect`, and a post on the `reload-watch` port.
fn reload_probe() {
    let connect = outcome(&runtime::connect(&ConnectInfo::named("after-reload")).map(drop));
    let kept = KEPT.with(|k| {
        k.borrow()
            .iter()
            .find(|p| p.name() == "fault-reload")
            .cloned()
    });
    let Some(kept) = kept else {
        // Firefox injects the reloaded extension's content script into the page again: this is
        // that new instance, and the one that ran reload-watch is gone.
        return report("reload_probe", NEW_INSTANCE);
    };
    let post = outcome(&kept.post(&"after".into()));
    report("reload_probe", &format!("connect={connect} post={post}"));
}

/// `reload_probe` when a new instance of the content script answered it.
const NEW_INSTANCE: &str = "new content script";
