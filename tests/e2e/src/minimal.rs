//! The minimal example (examples/minimal: the README's typed content script and its background),
//! as `./build.sh` ships it in dist-minimal/: built with the size pipeline (profile `size`,
//! wasm-opt, minified names, terser), which nothing else here runs. In a browser of its own, with
//! only that extension: the content script greets, the background replies, the content script
//! logs the reply.
//!
//! The example only logs to the console, so the test loads a copy of dist-minimal/ (in a fresh
//! temporary folder, removed after) with one more content script before the example's: it copies
//! each `console.log` line of that world into the page (`<output id="r-minimal">`), where
//! WebDriver reads it. "Exactly once": the first line is the completion signal; a second one
//! within the quiet period after it would show.

use crate::browsers::{launch, Kind, Load};
use crate::webdriver::Result;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const SCENARIO: &str = "minimal_example_reply";
/// The one line the example's content script logs: the background's reply, once.
pub const EXPECTED: &str = "hi there content script!";

const WAIT: Duration = Duration::from_secs(20);
/// After the reply shows, before the final read: a second line would show by then.
const QUIET: Duration = Duration::from_millis(500);

/// Runs before the example's content.js, in the same content-script world.
const LOG_HOOK: &str = r#"// e2e only (tests/e2e/src/minimal.rs): each console.log line of this world, into the page.
const lines = [];
const log = console.log.bind(console);
console.log = (...args) => {
  log(...args);
  lines.push(args.map(String).join(" "));
  let out = document.getElementById("r-minimal");
  if (!out) {
    out = document.createElement("output");
    out.id = "r-minimal";
    document.documentElement.append(out);
  }
  out.textContent = lines.join("|");
};
"#;

/// `dist-minimal/` copied to `into`, with [`LOG_HOOK`] as the first content script.
fn hooked_copy(minimal: &Path, into: &Path) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(into);
    copy_dir(minimal, into).map_err(|e| format!("copying {}: {e}", minimal.display()))?;
    let manifest_path = into.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| e.to_string())?;
    let mut manifest: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let scripts = manifest["content_scripts"][0]["js"]
        .as_array_mut()
        .ok_or("dist-minimal/manifest.json has no content_scripts[0].js")?;
    scripts.insert(0, Value::from("e2e-log.js"));
    std::fs::write(&manifest_path, manifest.to_string()).map_err(|e| e.to_string())?;
    std::fs::write(into.join("e2e-log.js"), LOG_HOOK).map_err(|e| e.to_string())?;
    Ok(into.to_owned())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// What the example's content script logged on a page of `origin`, in `kind` with only the
/// example loaded.
pub fn observe(
    kind: Kind,
    minimal: &Path,
    native_manifests: &Path,
    origin: &str,
    logs: &Path,
) -> (String, String) {
    eprintln!("--- {}: launching for the minimal example", kind.name());
    let copy = std::env::temp_dir().join(format!(
        "webext-port-e2e-minimal-{}-{}",
        kind.name(),
        std::process::id()
    ));
    let observed = hooked_copy(minimal, &copy).and_then(|dir| {
        let extensions = [dir];
        let load = Load {
            extensions: &extensions,
            native_manifests,
            background_idle_ms: None,
        };
        let browser = launch(kind, &load, logs)?;
        let session = &browser.session;
        session.navigate(&format!("{origin}/nocs.html"))?;
        session.wait_output("minimal", WAIT)?;
        std::thread::sleep(QUIET);
        session.wait_output("minimal", WAIT)
    });
    let _ = std::fs::remove_dir_all(&copy);
    let value = observed.unwrap_or_else(|e| format!("error: {e}"));
    eprintln!("{}: {SCENARIO}: {value}", kind.name());
    (SCENARIO.to_owned(), value)
}
