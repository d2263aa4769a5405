//! `webext-port-e2e bench`: loads the bench extension (`dist-bench/`) into headless Chromium and
//! Firefox and runs, in each browser:
//! - the port bench (`ports.rs`): round trips, one-way throughput and cold start, content script
//!   <-> background, for raw JS, webext-port (untyped, typed, batched, typed batched) and the JS
//!   peers extension-port-stream and webext-bridge, interleaved batch by batch; `--out`
//!   (target/bench.json) and a Markdown table per browser;
//! - the codec bench (`codec.rs`, unless `--no-codec`): round trips per codec candidate and the
//!   edge values over real ports; `--codec-out` (target/bench-codec.json).
//!
//! Options: `--browsers chromium|firefox|all`, `--reps N` (port bench repetitions, ≥ 5, default
//! 16), `--cold-reps N` (default 5), `--codec-reps N` (≥ 5, default 7), `--sizes
//! BYTES:ROUND_TRIPS,…` and `--only IMPL,…` (codec bench, as before), `--cases CASE,…` (port
//! bench cases to run, `cold_start` included; default all), `--impls IMPL,…` (port bench
//! implementations besides raw JS; default all), `--profile DIR` (Chromium only: after the port
//! bench, V8 CPU profiles of the page and the service worker, one implementation at a time; see
//! `profile.rs`).
//!
//! Exits non-zero only when a run fails (a browser does not start, a batch throws or never
//! finishes, the library's codec misses an edge value), never because something is slow. Every
//! browser and driver it started is stopped by pid when its `Browser` is dropped.

mod codec;
mod ports;
mod profile;

use crate::browsers::{launch, Browser, Kind, Load};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub struct Args {
    dist: PathBuf,
    native_manifests: PathBuf,
    out: PathBuf,
    codec_out: Option<PathBuf>,
    browsers: Vec<Kind>,
    reps: u32,
    cold_reps: u32,
    codec_reps: u32,
    /// `(bytes, round trips per batch)`.
    sizes: Vec<(u64, u32)>,
    /// Codec implementations to run (raw JS is always run); `None`: all.
    only: Option<Vec<String>>,
    /// Port bench cases to run (`rt_16B`, …, `cold_start`); `None`: all.
    cases: Option<Vec<String>>,
    /// Port bench implementations to run besides raw JS; `None`: all.
    impls: Option<Vec<String>>,
    /// Where `--profile` writes its CPU profiles (Chromium only).
    profile: Option<PathBuf>,
}

impl Args {
    /// Whether the port bench case `case` (or `cold_start`) was asked for.
    fn wants(&self, case: &str) -> bool {
        self.cases
            .as_ref()
            .is_none_or(|cases| cases.iter().any(|c| c == case))
    }
}

fn number(values: &mut HashMap<String, String>, name: &str, default: u32) -> Result<u32, String> {
    match values.remove(name) {
        None => Ok(default),
        Some(n) => n.parse().map_err(|e| format!("{name}: {e}")),
    }
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut values: HashMap<String, String> = HashMap::new();
    let mut no_codec = false;
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--no-codec" => no_codec = true,
            "--dist" | "--native-manifests" | "--out" | "--codec-out" | "--browsers" | "--reps"
            | "--cold-reps" | "--codec-reps" | "--sizes" | "--only" | "--cases" | "--impls"
            | "--profile" => {
                let value = args.next().ok_or(format!("{arg} needs a value"))?;
                values.insert(arg, value);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let take = |values: &mut HashMap<String, String>, name: &str| {
        values.remove(name).ok_or(format!("{name} is required"))
    };
    let dist = PathBuf::from(take(&mut values, "--dist")?);
    let native_manifests = PathBuf::from(take(&mut values, "--native-manifests")?);
    let out = PathBuf::from(take(&mut values, "--out")?);
    let codec_out = values.remove("--codec-out").map(PathBuf::from);
    let browsers = match values.remove("--browsers").as_deref() {
        None | Some("") | Some("all") => vec![Kind::Chromium, Kind::Firefox],
        Some("chromium") => vec![Kind::Chromium],
        Some("firefox") => vec![Kind::Firefox],
        Some(other) => return Err(format!("--browsers: chromium, firefox or all, not {other}")),
    };
    let reps = number(&mut values, "--reps", 16)?;
    let cold_reps = number(&mut values, "--cold-reps", 5)?;
    let codec_reps = number(&mut values, "--codec-reps", 7)?;
    let sizes = match values.remove("--sizes") {
        None => codec::SIZES.to_vec(),
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
    let cases = values
        .remove("--cases")
        .map(|list| list.split(',').map(str::to_owned).collect());
    let impls = values.remove("--impls").map(|list| {
        // Raw JS always runs, once: every ratio is against it.
        std::iter::once("raw".to_owned())
            .chain(list.split(',').filter(|i| *i != "raw").map(str::to_owned))
            .collect()
    });
    let profile = values.remove("--profile").map(PathBuf::from);
    Ok(Args {
        profile,
        cases,
        impls,
        dist,
        native_manifests,
        out,
        codec_out: if no_codec { None } else { codec_out },
        browsers,
        reps: reps.max(5),
        cold_reps: cold_reps.max(1),
        codec_reps: codec_reps.max(5),
        sizes,
        only,
    })
}

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

pub fn median(values: &mut [f64]) -> f64 {
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

/// A browser with the bench extension, on `page` once its content scripts are ready.
fn open(
    kind: Kind,
    args: &Args,
    logs: &Path,
    idle_ms: Option<u32>,
    url: &str,
) -> Result<Browser, String> {
    eprintln!("--- {}: launching", kind.name());
    let extensions = [args.dist.clone()];
    let load = Load {
        extensions: &extensions,
        native_manifests: &args.native_manifests,
        background_idle_ms: idle_ms,
    };
    let browser = launch(kind, &load, logs)?;
    browser.session.navigate(url)?;
    wait_result(&browser, "ports-loaded", Duration::from_secs(60))?;
    Ok(browser)
}

/// One browser: the port bench, the codec bench, then cold starts. `Err` is a failed run.
fn run_browser(
    kind: Kind,
    args: &Args,
    origin: &str,
    logs: &Path,
) -> Result<(Value, Option<Value>), String> {
    let started = Instant::now();
    let browser = open(kind, args, logs, None, &format!("{origin}/bench.html"))?;
    let mut result = ports::run(&browser, args, kind.name())?;
    match (&args.profile, kind) {
        (Some(dir), Kind::Chromium) => {
            profile::run(&browser, args, dir)?;
            result["profiles"] = json!(dir.display().to_string());
        }
        (Some(_), Kind::Firefox) => eprintln!("--- firefox: --profile is for Chromium only"),
        (None, _) => {}
    }
    let codec = match args.codec_out {
        Some(_) => {
            wait_result(&browser, "loaded", Duration::from_secs(30))?;
            Some(codec::run(&browser, args, kind.name())?)
        }
        None => None,
    };
    if !args.wants("cold_start") {
        result["seconds"] = json!(started.elapsed().as_secs_f64());
        return Ok((result, codec));
    }
    let cold = match kind {
        // The same browser: its service worker is stopped over CDP before each measurement.
        Kind::Chromium => {
            browser.session.navigate(&format!("{origin}/cold.html"))?;
            wait_result(&browser, "ports-loaded", Duration::from_secs(60))?;
            ports::cold(&browser, args, kind)?
        }
        // A browser of its own, whose event page idles out after 2 s.
        Kind::Firefox => {
            drop(browser);
            let idle = open(kind, args, logs, Some(2000), &format!("{origin}/cold.html"))?;
            ports::cold(&idle, args, kind)?
        }
    };
    result["cold_start"] = cold;
    result["seconds"] = json!(started.elapsed().as_secs_f64());
    Ok((result, codec))
    // Browsers dropped: sessions deleted, driver and browser processes killed by pid.
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

fn write(path: &Path, report: &Value) -> Result<(), String> {
    serde_json::to_string_pretty(report)
        .map_err(|e| e.to_string())
        .and_then(|text| std::fs::write(path, text + "\n").map_err(|e| e.to_string()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
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
    let mut codecs = serde_json::Map::new();
    let mut failures = Vec::new();
    for &kind in &args.browsers {
        match run_browser(kind, &args, &origin, &logs) {
            Ok((result, codec)) => {
                if let Some(codec) = codec {
                    failures.extend(codec::edge_failures(kind.name(), &codec));
                    codecs.insert(kind.name().to_owned(), codec);
                }
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
        "how": ports::HOW,
        "rows": ports::rows(&browsers),
        "browsers": browsers,
    });
    let mut written = write(&args.out, &report);
    if let (Some(path), false) = (&args.codec_out, codecs.is_empty()) {
        let codec_report = json!({
            "machine": machine(),
            "how": "content script <-> background, sequential round trips timed per batch with \
                    performance.now() (100 us ticks in Chromium content scripts, 1 ms in Firefox); \
                    each repetition runs every implementation twice, A B C ... C B A, starting at a \
                    rotating implementation, after one warm-up batch each; ratio = implementation's \
                    repetition time / raw JS's in the same repetition",
            "browsers": codecs,
        });
        written = written.and(write(path, &codec_report));
        println!(
            "codec bench (round trip per codec candidate):\n{}",
            codec::table(&codecs)
        );
    }
    if let Err(e) = written {
        eprintln!("bench: {e}");
        return ExitCode::FAILURE;
    }
    println!("{}", ports::tables(&browsers));
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
