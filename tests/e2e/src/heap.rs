//! The live JS heap of the extension's background and of a content script's page, after a
//! forced garbage collection, for the leak check (issue 9).
//!
//! - Chromium: the DevTools protocol on the browser's own debugging port (ChromeDriver starts it
//!   and Chromium writes it to `DevToolsActivePort` in the profile): attach to the extension's
//!   service worker and to the test page, `HeapProfiler.collectGarbage`, `Runtime.getHeapUsage`
//!   (`usedSize`). A content script runs in its page's V8 isolate, so the page's heap holds it.
//! - Firefox: geckodriver's chrome context (`--allow-system-access`): the memory reporter
//!   manager minimizes memory (GC and CC in every process), then reports
//!   `js-main-runtime-gc-heap-committed/used/*` per process: the `extension` process runs the
//!   background, the process of 127.0.0.1 the content script.

use crate::browsers::{Browser, Kind};
use crate::cdp::{self, Cdp};
use crate::webdriver::Result;
use serde_json::{json, Value};

/// Live JS heap bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Heap {
    pub background: f64,
    pub content: f64,
}

/// Measures the heap of the background and of the page whose URL contains `page`.
pub fn measure(browser: &Browser, kind: Kind, page: &str) -> Result<Heap> {
    match kind {
        Kind::Chromium => chromium(browser, page),
        Kind::Firefox => firefox(browser),
    }
}

const FIREFOX: &str = r#"
const done = arguments[arguments.length - 1];
const mgr = Cc["@mozilla.org/memory-reporter-manager;1"].getService(Ci.nsIMemoryReporterManager);
mgr.minimizeMemoryUsage(() => {
  const sizes = {};
  mgr.getReports((process, path, kind, units, amount) => {
    if (path.startsWith("js-main-runtime-gc-heap-committed/used/")) {
      const key = process || "parent";
      sizes[key] = (sizes[key] || 0) + amount;
    }
  }, null, () => done(sizes), null, false);
});
"#;

fn firefox(browser: &Browser) -> Result<Heap> {
    let session = &browser.session;
    session.set_firefox_context("chrome")?;
    let sizes = session.execute_async(FIREFOX, json!([]));
    session.set_firefox_context("content")?;
    let sizes = sizes?;
    let sizes = sizes
        .as_object()
        .ok_or_else(|| format!("no heap sizes: {sizes}"))?;
    let find = |what: &dyn Fn(&str) -> bool| {
        sizes
            .iter()
            .filter(|(process, _)| what(process))
            .filter_map(|(_, v)| v.as_f64())
            .reduce(f64::max)
    };
    let background = find(&|p| p.starts_with("extension"))
        .ok_or_else(|| format!("no extension process in {sizes:?}"))?;
    let content = find(&|p| p.contains("127.0.0.1"))
        .or_else(|| find(&|p| p.starts_with("web")))
        .ok_or_else(|| format!("no web content process in {sizes:?}"))?;
    Ok(Heap {
        background,
        content,
    })
}

/// The used heap of the first of `targets` that `pick` accepts, after a garbage collection.
fn heap_of(cdp: &mut Cdp, targets: &[Value], pick: impl Fn(&Value) -> bool) -> Result<f64> {
    let session = cdp.attach(targets, pick)?;
    let result = (|| {
        cdp.call(Some(&session), "HeapProfiler.collectGarbage", json!({}))?;
        let usage = cdp.call(Some(&session), "Runtime.getHeapUsage", json!({}))?;
        usage["usedSize"]
            .as_f64()
            .ok_or_else(|| format!("no usedSize in {usage}"))
    })();
    cdp.detach(&session);
    result
}

fn chromium(browser: &Browser, page: &str) -> Result<Heap> {
    let mut cdp = Cdp::open(browser)?;
    let targets = cdp.targets()?;
    let background = heap_of(&mut cdp, &targets, cdp::is_background)?;
    let content = heap_of(&mut cdp, &targets, |t| cdp::is_page(t, page))?;
    Ok(Heap {
        background,
        content,
    })
}
