//! The ports page (`ports.html`, opened by the toolbar button): the MDN example's live ports as
//! the background's bookkeeping (`port_log`) sees them, one table row per connection, and the
//! traffic as lines. Its buttons send a message to one port, broadcast to all, or disconnect
//! one port.
//!
//! The page connects to the background as "ports-ui" (typed: `ToPortsPage` in, `FromPortsPage`
//! out): a snapshot first, then one message per change. It keeps the background awake while it is
//! open; when the background goes away all the same it connects again, which wakes it.
//!
//! Every row carries its values as `data-*` attributes too (`data-row`, `data-tab`, `data-frame`,
//! `data-name`, `data-since`, `data-received`, `data-sent`, `data-error`, `data-state`), and every
//! traffic line its page-local number (`data-n`): the end-to-end test and `./build.sh run` read
//! those.

use crate::js::{log, sleep};
use crate::protocol::{FromPortsPage, PortRow, ToPortsPage, Traffic};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};
use webext_port::{runtime, ConnectInfo, TypedPort};

/// Traffic lines shown at most (the oldest leave first).
const LINES_KEPT: u32 = 500;
/// A message to the background this often: a port message resets the browser's idle timer
/// (30 s), so the background and its bookkeeping stay while the page is open.
const KEEP_ALIVE_MS: i32 = 20_000;
/// What "send" sends when the message field is empty.
const DEFAULT_NOTE: &str = "hello from the ports page";

type UiPort = TypedPort<ToPortsPage, FromPortsPage>;
/// The page's click listener, kept for the page's life.
type ClickListener = Closure<dyn FnMut(web_sys::Event)>;

#[derive(Default)]
struct Page {
    port: Option<UiPort>,
    /// The background instance the shown traffic came from, and its last line.
    boot: f64,
    last_seq: u32,
    /// Traffic lines shown so far (`data-n` of the last one).
    lines: u32,
}

thread_local! {
    static PAGE: RefCell<Page> = RefCell::new(Page::default());
    static ON_CLICK: RefCell<Option<ClickListener>> = const { RefCell::new(None) };
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

fn status(text: &str) {
    if let Some(out) = document().and_then(|d| d.get_element_by_id("status")) {
        out.set_text_content(Some(text));
    }
}

pub fn start() {
    let Some(body) = document().and_then(|d| d.body()) else {
        return log("the ports page has no body");
    };
    let closure = ClickListener::new(clicked);
    if body
        .add_event_listener_with_callback("click", closure.as_ref().unchecked_ref())
        .is_ok()
    {
        ON_CLICK.with(|c| *c.borrow_mut() = Some(closure));
    }
    connect();
    wasm_bindgen_futures::spawn_local(async {
        loop {
            sleep(KEEP_ALIVE_MS).await;
            if let Some(port) = PAGE.with(|p| p.borrow().port.clone()) {
                let _ = port.send(&FromPortsPage::KeepAlive);
            }
        }
    });
}

/// Connects "ports-ui"; connects again a second after the background goes away.
fn connect() {
    let port: UiPort = match runtime::connect(&ConnectInfo::named("ports-ui")) {
        Ok(port) => port.typed(),
        Err(err) => return status(&format!("cannot connect to the background: {err}")),
    };
    port.on_message(|message| match message {
        Ok(message) => show(message),
        Err(err) => log(&format!("not a ports page message: {err}")),
    })
    .forget();
    port.on_disconnect(|why| {
        let how = why.error().map_or("clean".to_owned(), |e| e.to_string());
        status(&format!(
            "the background went away ({how}); connecting again"
        ));
        PAGE.with(|p| p.borrow_mut().port = None);
        wasm_bindgen_futures::spawn_local(async {
            sleep(1000).await;
            connect();
        });
    });
    PAGE.with(|p| p.borrow_mut().port = Some(port));
}

fn show(message: ToPortsPage) {
    let Some(document) = document() else { return };
    match message {
        ToPortsPage::Snapshot {
            boot,
            rows,
            traffic,
        } => {
            PAGE.with(|p| {
                let mut page = p.borrow_mut();
                if page.boot != boot {
                    page.boot = boot;
                    page.last_seq = 0;
                }
            });
            // Rows the background no longer keeps (ended long ago, or from a stopped instance).
            if let Ok(shown) = document.query_selector_all("#ports tbody tr") {
                for i in 0..shown.length() {
                    let Some(tr) = shown.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                        continue;
                    };
                    let id = tr.get_attribute("data-row").unwrap_or_default();
                    if !rows.iter().any(|r| r.id.to_string() == id) {
                        tr.remove();
                    }
                }
            }
            for row in &rows {
                show_row(&document, row);
            }
            for line in &traffic {
                show_line(&document, line);
            }
            let connected = rows.iter().filter(|r| r.ended.is_none()).count();
            status(&format!("connected to the background: {connected} ports"));
        }
        ToPortsPage::Row(row) => show_row(&document, &row),
        ToPortsPage::Traffic(line) => show_line(&document, &line),
    }
}

/// `HH:MM:SS.mmm` in local time.
fn clock(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    format!(
        "{}.{:03}",
        String::from(date.to_locale_time_string("en-GB")),
        date.get_milliseconds()
    )
}

/// The cells of a row: `(class, data attribute, text)`.
fn cells(row: &PortRow) -> [(&'static str, String); 8] {
    let state = match &row.ended {
        None => "connected".to_owned(),
        Some(how) => format!("disconnected ({how})"),
    };
    [
        ("tab", row.tab_id.to_string()),
        ("frame", row.frame_id.to_string()),
        ("name", row.name.clone()),
        ("since", clock(row.since)),
        ("received", row.received.to_string()),
        ("sent", row.sent.to_string()),
        (
            "error",
            row.last_error.clone().unwrap_or_else(|| "—".into()),
        ),
        ("state", state),
    ]
}

fn show_row(document: &Document, row: &PortRow) {
    let Some(tbody) = document.query_selector("#ports tbody").ok().flatten() else {
        return;
    };
    let selector = format!("tr[data-row=\"{}\"]", row.id);
    let tr = match document.query_selector(&selector).ok().flatten() {
        Some(tr) => tr,
        None => match new_row(document, &tbody, row.id) {
            Some(tr) => tr,
            None => return,
        },
    };
    for (class, text) in cells(row) {
        if let Some(td) = tr.query_selector(&format!("td.{class}")).ok().flatten() {
            td.set_text_content(Some(&text));
        }
        let value = match class {
            "since" => row.since.to_string(),
            "state" if row.ended.is_none() => "connected".to_owned(),
            "state" => "disconnected".to_owned(),
            "error" => row.last_error.clone().unwrap_or_default(),
            _ => text,
        };
        let _ = tr.set_attribute(&format!("data-{class}"), &value);
    }
    if row.ended.is_some() {
        if let Ok(buttons) = tr.query_selector_all("button") {
            for i in 0..buttons.length() {
                if let Some(button) = buttons.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = button.set_attribute("disabled", "");
                }
            }
        }
    }
}

/// An empty row with its cells and buttons, appended to `tbody`.
fn new_row(document: &Document, tbody: &Element, id: u32) -> Option<Element> {
    let tr = document.create_element("tr").ok()?;
    tr.set_attribute("data-row", &id.to_string()).ok()?;
    for class in [
        "tab", "frame", "name", "since", "received", "sent", "error", "state",
    ] {
        let td = document.create_element("td").ok()?;
        td.set_class_name(class);
        tr.append_child(&td).ok()?;
    }
    let actions = document.create_element("td").ok()?;
    for (action, label) in [("send", "send"), ("disconnect", "disconnect")] {
        let button = document.create_element("button").ok()?;
        button.set_attribute("data-action", action).ok()?;
        button.set_attribute("data-row", &id.to_string()).ok()?;
        button.set_text_content(Some(label));
        actions.append_child(&button).ok()?;
    }
    tr.append_child(&actions).ok()?;
    tbody.append_child(&tr).ok()?;
    Some(tr)
}

fn show_line(document: &Document, line: &Traffic) {
    let n = PAGE.with(|p| {
        let mut page = p.borrow_mut();
        if line.seq <= page.last_seq {
            return None; // already shown (a snapshot after reconnecting)
        }
        page.last_seq = line.seq;
        page.lines += 1;
        Some(page.lines)
    });
    let (Some(n), Some(list)) = (n, document.get_element_by_id("traffic")) else {
        return;
    };
    let Ok(li) = document.create_element("li") else {
        return;
    };
    let _ = li.set_attribute("data-n", &n.to_string());
    li.set_text_content(Some(&format!(
        "{}  tab {} frame {}  {}",
        clock(line.at),
        line.tab_id,
        line.frame_id,
        line.what
    )));
    let _ = list.append_child(&li);
    while list.child_element_count() > LINES_KEPT {
        match list.first_element_child() {
            Some(first) => first.remove(),
            None => break,
        }
    }
}

/// The message field's text, or the default note.
fn note() -> String {
    document()
        .and_then(|d| d.get_element_by_id("message"))
        .and_then(|input| js_sys::Reflect::get(&input, &"value".into()).ok())
        .and_then(|value| value.as_string())
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_NOTE.to_owned())
}

/// The buttons: `data-action` = send | disconnect (with `data-row`) | broadcast.
fn clicked(event: web_sys::Event) {
    let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Some(action) = target.get_attribute("data-action") else {
        return;
    };
    let row = target
        .get_attribute("data-row")
        .and_then(|r| r.parse::<u32>().ok());
    let request = match (action.as_str(), row) {
        ("send", Some(row)) => FromPortsPage::Send { row, text: note() },
        ("disconnect", Some(row)) => FromPortsPage::Disconnect { row },
        ("broadcast", _) => FromPortsPage::Broadcast,
        _ => return,
    };
    let Some(port) = PAGE.with(|p| p.borrow().port.clone()) else {
        return status("not connected to the background yet");
    };
    if let Err(err) = port.send(&request) {
        status(&format!("cannot reach the background: {err}"));
    }
}
