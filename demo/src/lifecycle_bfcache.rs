//! Back/forward cache test commands (issue 9, item 3).
//!
//! Content `bf-watch`: opens port "bf" (the background keeps it and says `ready`), and reports
//! `bf_restored` at `pageshow`: "restored" (from the cache) or "loaded", then how the port ended.
//! Content `bf-query` (from another tab, while the first page is cached): the background posts
//! into the kept port and reports `bf_query` = "disconnect=<what it saw> post=<outcome>".

use crate::content::report;
use crate::js::{object, outcome, reason};
use crate::lifecycle::string;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use webext_port::{runtime, ConnectInfo, Port};

type Seen = Rc<RefCell<Option<String>>>;
type Watched = (Port, Closure<dyn FnMut(JsValue)>);

thread_local! {
    /// Content: the watched port and the pageshow listener (kept for the page's life).
    static WATCHED: RefCell<Option<Watched>> = const { RefCell::new(None) };
    /// Background: the kept "bf" port and the disconnect it saw.
    static KEPT: RefCell<Option<(Port, Seen)>> = const { RefCell::new(None) };
}

/// Content: `bf-watch` and `bf-query`; false for other commands.
pub fn run(cmd: &str) -> bool {
    match cmd {
        "bf-watch" => watch(),
        "bf-query" => query(),
        _ => return false,
    }
    true
}

fn watch() {
    let Ok(port) = runtime::connect(&ConnectInfo::named("bf")) else {
        return report("bf_ready", "connect failed");
    };
    port.on_message(|m| {
        if string(&m, "bf").is_some() {
            report("bf_ready", "yes");
        }
    })
    .forget();
    let watched = port.clone();
    let on_show = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let persisted =
            js_sys::Reflect::get(&event, &"persisted".into()).is_ok_and(|p| p.is_truthy());
        let state = match watched.error() {
            Some(err) => format!("err:{}", err.kind()),
            None if watched.is_connected() => "open".to_owned(),
            None => "closed".to_owned(),
        };
        let how = if persisted { "restored" } else { "loaded" };
        report("bf_restored", &format!("{how}; {state}"));
    });
    if let Some(window) = web_sys::window() {
        let _ =
            window.add_event_listener_with_callback("pageshow", on_show.as_ref().unchecked_ref());
    }
    WATCHED.with(|w| *w.borrow_mut() = Some((port, on_show)));
}

fn query() {
    let Ok(port) = runtime::connect(&ConnectInfo::named("bf-query")) else {
        return report("bf_query", "connect failed");
    };
    let replies = port.clone();
    port.on_message(move |m| {
        if let Some(verdict) = string(&m, "bf") {
            report("bf_query", &verdict);
            let _ = replies.disconnect();
        }
    })
    .forget();
}

/// Background: "bf" (keep it, say ready) and "bf-query" (post into the kept port, answer).
pub fn connected(port: &Port) -> bool {
    match port.name() {
        "bf" => {
            let seen: Seen = Rc::default();
            let sink = seen.clone();
            port.on_disconnect(move |why| *sink.borrow_mut() = Some(reason(&why)));
            let _ = port.post(&object(&[("bf", "ready".into())]));
            KEPT.with(|k| *k.borrow_mut() = Some((port.clone(), seen)));
        }
        "bf-query" => {
            let verdict = KEPT.with(|k| match &*k.borrow() {
                None => "nothing kept".to_owned(),
                Some((kept, seen)) => {
                    let disconnect = seen.borrow().clone().unwrap_or_else(|| "none".to_owned());
                    let post = outcome(&kept.post(&object(&[("bf", "into the cache".into())])));
                    format!("disconnect={disconnect} post={post}")
                }
            });
            let _ = port.post(&object(&[("bf", verdict.into())]));
        }
        _ => return false,
    }
    true
}
