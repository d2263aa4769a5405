//! End-to-end layer: loads `dist/` into real headless Chromium and Firefox, runs every scenario,
//! checks each observed value, checks that both browsers agree, and writes `conformance.json`.
//!
//! `cargo run -p webext-port-e2e -- --dist DIR --peer DIR-PEER --native-manifests DIR --minimal DIR-MINIMAL --out FILE --table FILE`
//! `cargo run -p webext-port-e2e -- bench --dist DIR-BENCH --native-manifests DIR --out FILE` (see bench.rs)
//! `cargo run -p webext-port-e2e -- run --browser chromium --dist DIR --native-manifests DIR --logs DIR`
//! (`./build.sh run`: the demo in a browser, its port traffic printed until Ctrl-C; see run.rs)

mod bench;
mod browsers;
mod cdp;
mod conformance;
mod faults;
mod heap;
mod leak;
mod lifecycle;
mod minimal;
mod ports_page;
mod process;
mod run;
mod scenarios;
mod server;
mod webdriver;

use browsers::{launch, Kind};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    dist: PathBuf,
    peer: PathBuf,
    native_manifests: PathBuf,
    /// dist-minimal/: the minimal example as `./build.sh` ships it (tests/e2e/src/minimal.rs).
    minimal: PathBuf,
    out: PathBuf,
    table: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut values: HashMap<String, PathBuf> = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" | "--peer" | "--native-manifests" | "--minimal" | "--out" | "--table" => {
                let value = args.next().ok_or(format!("{arg} needs a value"))?;
                values.insert(arg, PathBuf::from(value));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let mut take = |name: &str| values.remove(name).ok_or(format!("{name} is required"));
    Ok(Args {
        dist: take("--dist")?,
        peer: take("--peer")?,
        native_manifests: take("--native-manifests")?,
        minimal: take("--minimal")?,
        out: take("--out")?,
        table: take("--table")?,
    })
}

/// The id in `kind` of the extension in `dir`: Chromium derives it from the manifest key, Firefox
/// uses the gecko id.
pub(crate) fn extension_id(kind: Kind, dir: &std::path::Path) -> Result<String, String> {
    use base64::Engine;
    use sha2::Digest;
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    match kind {
        Kind::Chromium => {
            let key = manifest["key"].as_str().ok_or("peer manifest has no key")?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|e| e.to_string())?;
            let hash = sha2::Sha256::digest(der);
            Ok(hash[..16]
                .iter()
                .flat_map(|b| [b >> 4, b & 0xf])
                .map(|nibble| char::from(b'a' + nibble))
                .collect())
        }
        Kind::Firefox => manifest["browser_specific_settings"]["gecko"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "peer manifest has no gecko id".to_owned()),
    }
}

/// Runs every scenario in one browser; a browser that cannot start fails every scenario.
fn observe(
    kind: Kind,
    args: &Args,
    origin: &str,
    logs: &std::path::Path,
) -> HashMap<String, String> {
    eprintln!("--- {}: launching", kind.name());
    let extensions = [args.dist.clone(), args.peer.clone()];
    let load = browsers::Load {
        extensions: &extensions,
        native_manifests: &args.native_manifests,
        background_idle_ms: None,
    };
    let ids = extension_id(kind, &args.peer).and_then(|peer| {
        Ok(scenarios::Ids {
            peer,
            demo: extension_id(kind, &args.dist)?,
        })
    });
    let launched = ids.and_then(|ids| Ok((ids, launch(kind, &load, logs)?)));
    match launched {
        Ok((ids, browser)) => {
            // WEBEXT_PORT_E2E_ONLY=lifecycle|faults|scenarios|ports-page|minimal (or several, comma
            // separated): only those parts (while working on them; every other scenario then
            // fails as "not run").
            let only = std::env::var("WEBEXT_PORT_E2E_ONLY").ok();
            let part = |name: &str| {
                only.as_deref()
                    .is_none_or(|only| only.split(',').any(|o| o == name))
            };
            let mut seen: HashMap<String, String> = HashMap::new();
            if part("scenarios") {
                seen.extend(scenarios::run(&browser.session, origin, &ids));
            }
            // The ports page, in tabs of its own in the same browser (issue 11).
            if part("ports-page") {
                let shots = args
                    .out
                    .parent()
                    .map_or_else(|| PathBuf::from("screenshots"), |p| p.join("screenshots"));
                let session = &browser.session;
                seen.extend(ports_page::observe(
                    session, kind, origin, &ids.demo, &shots,
                ));
            }
            drop(browser);
            // The background lifecycle runs in a browser of its own: it stops the background.
            if part("lifecycle") {
                seen.extend(lifecycle::observe(kind, &load, origin, logs));
            }
            // So do the faults: the last one reloads the extension.
            if part("faults") {
                seen.extend(faults::observe(kind, &load, origin, logs));
            }
            // The minimal example, alone in a browser of its own.
            if part("minimal") {
                let (scenario, value) =
                    minimal::observe(kind, &args.minimal, &args.native_manifests, origin, logs);
                seen.insert(scenario, value);
            }
            seen
        }
        Err(e) => {
            eprintln!("{}: {e}", kind.name());
            HashMap::from([("launch".to_owned(), format!("error: {e}"))])
        }
    }
}

/// What a run needs before any browser starts: `dist` built (else "run BUILD first"), the log
/// folder beside `out`, and the page server (serving `dist/pkg/` too). `who` prefixes messages.
pub(crate) fn start(
    dist: &std::path::Path,
    out: &std::path::Path,
    who: &str,
    build: &str,
) -> Result<(PathBuf, server::Server), ExitCode> {
    if !dist.join("manifest.json").is_file() {
        eprintln!(
            "{who}: {} has no manifest.json: run {build} first",
            dist.display()
        );
        return Err(ExitCode::from(2));
    }
    let logs = out
        .parent()
        .map(|p| p.join("test-logs"))
        .unwrap_or_else(|| PathBuf::from("."));
    let _ = std::fs::create_dir_all(&logs);
    server::Server::start(dist.join("pkg"))
        .map(|server| (logs, server))
        .map_err(|e| {
            eprintln!("{who}: cannot start the page server: {e}");
            ExitCode::from(2)
        })
}

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("bench") => return bench::main(std::env::args().skip(2)),
        Some("run") => return run::main(std::env::args().skip(2)),
        _ => {}
    }
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("e2e: {e}");
            return ExitCode::from(2);
        }
    };
    let (logs, server) = match start(&args.dist, &args.out, "e2e", "./build.sh") {
        Ok(started) => started,
        Err(code) => return code,
    };
    let origin = server.origin();
    let chromium = observe(Kind::Chromium, &args, &origin, &logs);
    let firefox = observe(Kind::Firefox, &args, &origin, &logs);
    drop(server);

    let mut rows = Vec::new();
    // "chromium"/"firefox": browser scenarios; "… pre-checks": decided inside the library.
    let mut passed: HashMap<String, (u32, u32)> = HashMap::new();
    let missing = |seen: &HashMap<String, String>, scenario: &str| {
        seen.get(scenario).cloned().unwrap_or_else(|| {
            seen.get("launch")
                .cloned()
                .unwrap_or_else(|| "not run".to_owned())
        })
    };
    for (scenario, want) in scenarios::expected(&origin) {
        let scenario = scenario.as_str();
        let got_chromium = missing(&chromium, scenario);
        let got_firefox = missing(&firefox, scenario);
        let precheck = scenarios::is_precheck(scenario);
        let group = |browser: &str| {
            if precheck {
                format!("{browser} pre-checks")
            } else {
                browser.to_owned()
            }
        };
        for (browser, got) in [("chromium", &got_chromium), ("firefox", &got_firefox)] {
            let entry = passed.entry(group(browser)).or_default();
            if *got == want {
                entry.0 += 1;
            } else {
                entry.1 += 1;
                println!("FAIL {browser} {scenario}: expected {want:?}, observed {got:?}");
            }
        }
        let agreement = passed.entry(group("agreement")).or_default();
        if got_chromium == got_firefox {
            agreement.0 += 1;
        } else {
            agreement.1 += 1;
            println!("DISAGREE {scenario}: chromium {got_chromium:?} vs firefox {got_firefox:?}");
        }
        let label = if precheck { " (pre-check)" } else { "" };
        println!("{scenario:45} chromium={got_chromium:?} firefox={got_firefox:?}{label}");
        // The origin varies per run; keep the file stable.
        let stable = |v: &str| v.replace(&origin, "{origin}");
        rows.push(json!({
            "scenario": scenario,
            "reaches_browser": !precheck,
            "chromium": stable(&got_chromium),
            "firefox": stable(&got_firefox),
        }));
    }
    // Differences no library can hide: each browser must still do exactly what was measured.
    let mut known = Vec::new();
    for &(scenario, want_chromium, want_firefox) in scenarios::KNOWN_DIFFERENCES {
        let got_chromium = missing(&chromium, scenario);
        let got_firefox = missing(&firefox, scenario);
        for (browser, got, want) in [
            ("chromium", &got_chromium, want_chromium),
            ("firefox", &got_firefox, want_firefox),
        ] {
            let entry = passed.entry(browser.to_owned()).or_default();
            if got == want {
                entry.0 += 1;
            } else {
                entry.1 += 1;
                println!("FAIL {browser} {scenario} (known difference): expected {want:?}, observed {got:?}");
            }
        }
        println!(
            "{scenario:45} chromium={got_chromium:?} firefox={got_firefox:?} (known difference)"
        );
        known.push(
            json!({ "scenario": scenario, "chromium": got_chromium, "firefox": got_firefox }),
        );
    }
    let written = serde_json::to_string_pretty(&rows)
        .map_err(|e| e.to_string())
        .and_then(|text| std::fs::write(&args.out, text + "\n").map_err(|e| e.to_string()));
    if let Err(e) = written {
        eprintln!("e2e: cannot write {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {} ({} scenarios)", args.out.display(), rows.len());
    let stale = match conformance::check_table(&rows, &known, &args.table) {
        Ok(()) => 0,
        Err(e) => {
            println!("FAIL {e}");
            1
        }
    };
    println!("e2e table: {} passed; {stale} failed", 1 - stale);
    let mut failed = 0;
    for browser in [
        "chromium",
        "firefox",
        "agreement",
        "chromium pre-checks",
        "firefox pre-checks",
    ] {
        let (p, f) = passed.get(browser).copied().unwrap_or_default();
        failed += f;
        println!("e2e {browser}: {p} passed; {f} failed");
    }
    if failed + stale == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
