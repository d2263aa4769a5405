//! The background's bookkeeping of the MDN example's ports, for the ports page (`ports.html`):
//! one row per "port-from-cs" connection (tab, frame, name, connected since, messages each way,
//! the last error kind, how it ended) and the recent traffic as lines. The library keeps none of
//! this: `mdn.rs` reports each connect, message and send here, and this module pushes every change
//! to each open ports page over its "ports-ui" port (typed: `ToPortsPage` out, `FromPortsPage` in).
//!
//! It lives as long as the background: a stopped Chromium service worker or suspended Firefox
//! event page starts again with no rows (as the MDN example loses its ports then).

use crate::js::log;
use crate::mdn;
use crate::protocol::{FromPortsPage, PortRow, ToContent, ToPortsPage, Traffic};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Debug;
use webext_port::port_set::{PortKey, Sent};
use webext_port::{Disconnect, Port, PortError, TypedPort};

/// Traffic lines kept for a ports page that opens later.
const TRAFFIC_KEPT: usize = 200;
/// Rows of ended connections kept (the oldest leave first); connected rows always stay.
const ENDED_KEPT: usize = 20;

/// A page's end of "ports-ui".
type PagePort = TypedPort<FromPortsPage, ToPortsPage>;

struct Log {
    /// When this background instance started (tells instances apart on the page).
    boot: f64,
    next_row: u32,
    next_seq: u32,
    /// Every row still shown, by id, with the key of its port.
    rows: BTreeMap<u32, (PortKey, PortRow)>,
    traffic: VecDeque<Traffic>,
    pages: Vec<PagePort>,
}

thread_local! {
    static LOG: RefCell<Log> = RefCell::new(Log {
        boot: js_sys::Date::now(),
        next_row: 1,
        next_seq: 1,
        rows: BTreeMap::new(),
        traffic: VecDeque::new(),
        pages: Vec::new(),
    });
}

/// One update for every open page: the row as it is now, and a line of traffic.
fn update(row: u32, what: String, change: impl FnOnce(&mut PortRow)) {
    let pushed = LOG.with(|log| {
        let mut log = log.borrow_mut();
        let (_, entry) = log.rows.get_mut(&row)?;
        change(entry);
        let entry = entry.clone();
        let line = Traffic {
            seq: log.next_seq,
            at: js_sys::Date::now(),
            row,
            tab_id: entry.tab_id,
            frame_id: entry.frame_id,
            what,
        };
        log.next_seq += 1;
        log.traffic.push_back(line.clone());
        if log.traffic.len() > TRAFFIC_KEPT {
            log.traffic.pop_front();
        }
        Some((entry, line, log.pages.clone()))
    });
    let Some((entry, line, pages)) = pushed else {
        return;
    };
    for page in pages {
        let sent = page
            .send(&ToPortsPage::Row(entry.clone()))
            .and_then(|()| page.send(&ToPortsPage::Traffic(line.clone())));
        if sent.is_err() {
            forget_page(page.port());
        }
    }
}

/// A new "port-from-cs" connection under `key`: returns its row.
pub fn connected(key: &PortKey, port: &Port) -> u32 {
    let row = LOG.with(|log| {
        let mut log = log.borrow_mut();
        let id = log.next_row;
        log.next_row += 1;
        let entry = PortRow {
            id,
            tab_id: key.tab_id,
            frame_id: key.frame_id,
            name: port.name().to_owned(),
            since: js_sys::Date::now(),
            received: 0,
            sent: 0,
            last_error: None,
            ended: None,
        };
        log.rows.insert(id, (key.clone(), entry));
        let ended: Vec<u32> = log
            .rows
            .iter()
            .filter(|(_, (_, r))| r.ended.is_some())
            .map(|(id, _)| *id)
            .collect();
        for old in ended.iter().take(ended.len().saturating_sub(ENDED_KEPT)) {
            log.rows.remove(old);
        }
        id
    });
    update(row, "connected".to_owned(), |_| {});
    // However it ends (the other side, an error, our own disconnect): one line, once.
    let closed = port.closed();
    wasm_bindgen_futures::spawn_local(async move {
        let why = closed.await;
        let error = why.error().map(|err| err.kind());
        let how = match (&why, error) {
            (Disconnect::Local, _) => "closed by the ports page".to_owned(),
            (_, Some(kind)) => format!("err:{kind}"),
            (_, None) => "clean".to_owned(),
        };
        update(row, format!("disconnected: {how}"), |r| {
            r.ended = Some(how);
            if let Some(kind) = error {
                r.last_error = Some(kind.to_string());
            }
        });
    });
    row
}

/// A message arrived on row `row`'s port (decoded or not).
pub fn received<T: Debug>(row: u32, message: &Result<T, PortError>) {
    match message {
        Ok(message) => update(row, format!("<- {message:?}"), |r| r.received += 1),
        Err(err) => update(row, format!("<- undecodable: {err}"), |r| {
            r.received += 1;
            r.last_error = Some(err.kind().to_string());
        }),
    }
}

/// We sent `message` to row `row`'s port, with this outcome.
pub fn sent(row: u32, message: &ToContent, outcome: &Result<(), PortError>) {
    match outcome {
        Ok(()) => update(row, format!("-> {message:?}"), |r| r.sent += 1),
        Err(err) => update(row, format!("-> refused {message:?}: {err}"), |r| {
            r.last_error = Some(err.kind().to_string());
        }),
    }
}

/// A `PortSet` send to several ports: one line per port.
pub fn sent_to_set(sent: &Sent, message: &ToContent) {
    for key in &sent.delivered {
        if let Some(row) = row_of(key) {
            self::sent(row, message, &Ok(()));
        }
    }
    for (key, err) in &sent.failed {
        if let Some(row) = row_of(key) {
            self::sent(row, message, &Err(err.clone()));
        }
    }
}

/// The connected row of `key`.
pub fn row_of(key: &PortKey) -> Option<u32> {
    LOG.with(|log| {
        log.borrow()
            .rows
            .iter()
            .rev()
            .find(|(_, (k, r))| k == key && r.ended.is_none())
            .map(|(id, _)| *id)
    })
}

/// The key of row `row`'s port, while it is connected.
fn key_of(row: u32) -> Option<PortKey> {
    LOG.with(|log| {
        log.borrow()
            .rows
            .get(&row)
            .filter(|(_, r)| r.ended.is_none())
            .map(|(key, _)| key.clone())
    })
}

/// A ports page connected ("ports-ui"): send it everything, then keep it up to date and run
/// what its buttons ask.
pub fn serve_page(port: Port) {
    let page: PagePort = port.typed();
    let snapshot = LOG.with(|log| {
        let log = log.borrow();
        ToPortsPage::Snapshot {
            boot: log.boot,
            rows: log.rows.values().map(|(_, r)| r.clone()).collect(),
            traffic: log.traffic.iter().cloned().collect(),
        }
    });
    if let Err(err) = page.send(&snapshot) {
        return log(&format!("cannot reach the ports page: {err}"));
    }
    LOG.with(|log| log.borrow_mut().pages.push(page.clone()));
    let gone = page.port().clone();
    page.on_disconnect(move |_| forget_page(&gone));
    page.on_message(|request| match request {
        Ok(request) => run(request),
        Err(err) => log(&format!("not a ports page request: {err}")),
    })
    .forget();
}

fn forget_page(port: &Port) {
    LOG.with(|log| log.borrow_mut().pages.retain(|p| p.port() != port));
}

/// One button of the ports page.
fn run(request: FromPortsPage) {
    match request {
        FromPortsPage::Send { row, text } => match key_of(row) {
            Some(key) => mdn::send_to(&key, row, &ToContent::Note(text)),
            None => log(&format!("row {row} is not connected: nothing sent")),
        },
        FromPortsPage::Broadcast => {
            mdn::broadcast();
        }
        FromPortsPage::KeepAlive => {}
        FromPortsPage::Disconnect { row } => {
            let port = key_of(row).and_then(|key| mdn::PORTS.with(|ports| ports.remove(&key)));
            match port.map(|port| port.disconnect()) {
                // The row ends through `closed()`, as "closed by the ports page".
                Some(Ok(())) => {}
                Some(Err(err)) => update(row, format!("disconnect failed: {err}"), |r| {
                    r.last_error = Some(err.kind().to_string());
                }),
                None => log(&format!(
                    "row {row} is not connected: nothing to disconnect"
                )),
            }
        }
    }
}
