//! `webext-port-e2e bench`: loads the codec bench extension (`dist-bench/`) into headless Chromium
//! and Firefox, runs the interleaved round-trip batches and the edge values over real ports, writes
//! `bench-codec.json` and prints a Markdown table.
//!
//! Options: `--browsers chromium|firefox|all`, `--reps N` (≥ 5, default 9), `--sizes
//! BYTES:ROUND_TRIPS,…` (default 16:200,1024:200,102400:20,1048576:3), `--only IMPL,…` (raw JS is
//! always included; skips the edge values).
//!
//! Exits non-zero only when a run fails (a browser does not start, a batch throws, the library's
//! codec misses an edge value), never because something is slow. Every browser and driver it
//! started is stopped by pid when its `Browser` is dropped, on success and on failure.

use crate::browsers::{launch, Browser, Kind, Load};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

struct Args {
    dist: PathBuf,
    native_manifests: PathBuf,
    out: PathBuf,
    browsers: Vec<Kind>,
    reps: u32,
    /// `(bytes, round trips per batch)`.
    sizes: Vec<(u64, u32)>,
    /// Implementations to run (raw JS is always run); `None`: all.
    only: Option<Vec<String>>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut values: HashMap<String, String> = HashMap::new();
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" | "--native-manifests" | "--out" | "--browsers" | "--reps" | "--sizes"
            | "--only" => {
                let value = args.next().ok_or(format!("{arg} needs a value"))?;
                values.insert(arg, value);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let mut take = |name: &str| values.remove(name).ok_or(format!("{name} is required"));
    let dist = PathBuf::from(take("--dist")?);
    let native_manifests = PathBuf::from(take("--native-manifests")?);
    let out = PathBuf::from(take("--out")?);
    let browsers = match values.remove("--browsers").as_deref() {
        None | Some("") | Some("all") => vec![Kind::Chromium, Kind::Firefox],
        Some("chromium") => vec![Kind::Chromium],
        Some("firefox") => vec![Kind::Firefox],
        Some(other) => return Err(format!("--browsers: chromium, firefox or all, not {other}")),
    };
    let reps = match values.remove("--reps") {
        None => 9,
        Some(n) => n.parse().map_err(|e| format!("--reps: {e}"))?,
    };
    let sizes = match values.remove("--sizes") {
        None => SIZES.to_vec(),
        Some(list) => list
            .split(',')
            .map(|pair| {
                let (bytes, trips) = pair.split_once(':').ok_or("--sizes: BYTES:ROUND_TRIPS,…")?;
                Ok((
                    bytes.parse().map_err(|e| format!("--sizes: {e}"))?,
                    trips.parse().map_err(|e| format!("--sizes: {e}"))?,
                ))
            })
            .collect::<Result<_, String>>()?,
    };
    let only = values.remove("--only").map(|list| {
        std::iter::once("raw".to_owned())
            .chain(list.split(',').map(str::to_owned))
            .collect()
    });
    Ok(Args {
        dist,
        native_manifests,
        out,
        browsers,
        reps: reps.max(5),
        sizes,
        only,
    })
}

/// Payload sizes (bytes of JSON) and round trips per batch: fewer for the big ones.
const SIZES: &[(u64, u32)] = &[(16, 200), (1024, 200), (100 * 1024, 20), (1024 * 1024, 3)];

/// Polls `<output id="r-KEY">` once a second (polls run on the page's thread: keep them rare).
fn wait_result(browser: &Browser, key: &str, timeout: Duration) -> Result<String, String> {
    let start = Instant::now();
    loop {
        let value = browser.session.execute(
            "const e = document.getElementById(arguments[0]); return e ? e.textContent : null;",
            json!([format!("r-{key}")]),
        )?;
        if let Some(text) = value.as_str() {
            return match text.strip_prefix("error: ") {
                Some(error) => Err(format!("{key}: {error}")),
                None => Ok(text.to_owned()),
            };
        }
        if start.elapsed() > timeout {
            return Err(format!("timeout after {timeout:?} waiting for r-{key}"));
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Clicks the button of `cmd` with `arg` as its data-arg, and returns its parsed result.
fn run_command(
    browser: &Browser,
    cmd: &str,
    arg: &Value,
    timeout: Duration,
) -> Result<Value, String> {
    let selector = format!("button[data-cmd={cmd}]");
    browser.session.set_arg(&selector, &arg.to_string())?;
    browser.session.click_css(&selector)?;
    let text = wait_result(browser, cmd, timeout)?;
    serde_json::from_str(&text).map_err(|e| format!("{cmd}: {e}: {text}"))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Ratios to raw JS and per-round-trip times from one browser's raw batch times.
fn summarize(raw: &Value) -> Result<Vec<Value>, String> {
    let impls: Vec<String> =
        serde_json::from_value(raw["impls"].clone()).map_err(|e| e.to_string())?;
    let mut sizes = Vec::new();
    for size in raw["results"].as_array().ok_or("no results")? {
        let times: HashMap<String, Vec<f64>> =
            serde_json::from_value(size["times_ms"].clone()).map_err(|e| e.to_string())?;
        let round_trips = size["round_trips_per_batch"].as_f64().unwrap_or(1.0)
            * size["batches_per_rep"].as_f64().unwrap_or(1.0);
        let floor = times.get("raw").ok_or("no raw JS times")?;
        let mut rows = Vec::new();
        for implementation in &impls {
            let own = times.get(implementation).ok_or("missing implementation")?;
            let mut ratios: Vec<f64> = own.iter().zip(floor).map(|(t, r)| t / r).collect();
            let mut per_trip: Vec<f64> = own.iter().map(|t| t * 1000.0 / round_trips).collect();
            let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            rows.push(json!({
                "implementation": implementation,
                "median_round_trip_us": median(&mut per_trip),
                "ratio_vs_raw_js": { "median": median(&mut ratios), "min": min, "max": max },
                "rep_times_ms": own,
            }));
        }
        sizes.push(json!({
            "target_bytes": size["target_bytes"],
            "json_bytes": size["json_bytes"],
            "round_trips_per_batch": size["round_trips_per_batch"],
            "implementations": rows,
        }));
    }
    Ok(sizes)
}

/// One browser: launch, bench, edge values. `Err` is a failed run.
fn run_browser(kind: Kind, args: &Args, origin: &str, logs: &Path) -> Result<Value, String> {
    eprintln!("--- {}: launching", kind.name());
    let extensions = [args.dist.clone()];
    let load = Load {
        extensions: &extensions,
        native_manifests: &args.native_manifests,
        background_idle_ms: None,
    };
    let browser = launch(kind, &load, logs)?;
    browser.session.navigate(&format!("{origin}/bench.html"))?;
    wait_result(&browser, "loaded", Duration::from_secs(30))?;
    let sizes: Vec<Value> = args
        .sizes
        .iter()
        .map(|&(bytes, round_trips)| json!({ "bytes": bytes, "round_trips": round_trips }))
        .collect();
    eprintln!("--- {}: round trips", kind.name());
    let started = Instant::now();
    let raw = run_command(
        &browser,
        "bench",
        &json!({ "sizes": sizes, "reps": args.reps, "warmup": 1, "only": args.only }),
        Duration::from_secs(240),
    )?;
    let bench_seconds = started.elapsed().as_secs_f64();
    eprintln!("--- {}: edge values over real ports", kind.name());
    let edges = if args.only.is_some() {
        json!({ "skipped": "--only given" })
    } else {
        run_command(&browser, "edges", &json!({}), Duration::from_secs(120))?
    };
    Ok(json!({
        "user_agent": raw["user_agent"],
        "reps": raw["reps"],
        "warmup_batches": raw["warmup"],
        "bench_seconds": bench_seconds,
        "sizes": summarize(&raw)?,
        "edges": edges,
    }))
    // `browser` dropped here: session deleted, driver and browser processes killed by pid.
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split(':').nth(1))
        })
        .map(|m| m.trim().to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({ "cpu": model, "logical_cpus": cpus })
}

fn table(browsers: &serde_json::Map<String, Value>) -> String {
    let mut out = String::from(
        "| browser | payload (JSON bytes) | implementation | round trip, median µs | ratio to raw JS, median | min–max |\n\
         |---|---|---|---|---|---|\n",
    );
    for (browser, result) in browsers {
        for size in result["sizes"].as_array().into_iter().flatten() {
            for row in size["implementations"].as_array().into_iter().flatten() {
                let ratio = &row["ratio_vs_raw_js"];
                out.push_str(&format!(
                    "| {browser} | {} | {} | {:.0} | {:.2} | {:.2}–{:.2} |\n",
                    size["json_bytes"],
                    row["implementation"].as_str().unwrap_or("?"),
                    row["median_round_trip_us"].as_f64().unwrap_or(f64::NAN),
                    ratio["median"].as_f64().unwrap_or(f64::NAN),
                    ratio["min"].as_f64().unwrap_or(f64::NAN),
                    ratio["max"].as_f64().unwrap_or(f64::NAN),
                ));
            }
        }
    }
    out
}

/// Edge values where the library's codec missed its expected outcome in this browser.
fn edge_failures(browser: &str, result: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    for row in result["edges"]["rows"].as_array().into_iter().flatten() {
        let got = row["outcomes"]["chosen"].as_str().unwrap_or("missing");
        if Some(got) != row["expected"].as_str() {
            failures.push(format!(
                "{browser} edge {}: expected {}, got {got}",
                row["name"], row["expected"]
            ));
        }
    }
    failures
}

pub fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::from(2);
        }
    };
    let (logs, server) = match crate::start(&args.dist, &args.out, "bench", "./build.sh bench") {
        Ok(started) => started,
        Err(code) => return code,
    };
    let origin = server.origin();
    let mut browsers = serde_json::Map::new();
    let mut failures = Vec::new();
    for &kind in &args.browsers {
        match run_browser(kind, &args, &origin, &logs) {
            Ok(result) => {
                failures.extend(edge_failures(kind.name(), &result));
                browsers.insert(kind.name().to_owned(), result);
            }
            Err(e) => {
                failures.push(format!("{}: {e}", kind.name()));
                browsers.insert(kind.name().to_owned(), json!({ "error": e }));
            }
        }
    }
    drop(server);
    let report = json!({
        "machine": machine(),
        "how": "content script <-> background, sequential round trips timed per batch with \
                performance.now() (100 us ticks in Chromium content scripts, 1 ms in Firefox); \
                each repetition runs every implementation twice, A B C ... C B A, starting at a \
                rotating implementation, after one warm-up batch each; ratio = implementation's \
                repetition time / raw JS's in the same repetition",
        "browsers": browsers,
    });
    let written = serde_json::to_string_pretty(&report)
        .map_err(|e| e.to_string())
        .and_then(|text| std::fs::write(&args.out, text + "\n").map_err(|e| e.to_string()));
    if let Err(e) = written {
        eprintln!("bench: cannot write {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    println!("{}", table(&browsers));
    println!("wrote {}", args.out.display());
    if failures.is_empty() {
        println!("bench: ok");
        ExitCode::SUCCESS
    } else {
        for failure in &failures {
            println!("FAIL {failure}");
        }
        ExitCode::FAILURE
    }
}
