//! `webext-port-e2e run` (`./build.sh run [chromium|firefox]`), in the spirit of `web-ext run`:
//! launches the browser with `dist/` loaded (and the native host manifests, as the tests do), a
//! test page open on 127.0.0.1 (the e2e page server) and the ports page beside it, and prints
//! the demo's port traffic (the ports page's lines: connects, messages each way, disconnects)
//! until Ctrl-C.
//!
//! Headed when a display exists (`$DISPLAY` or `$WAYLAND_DISPLAY`), headless otherwise. The
//! driver runs in a process group of its own, so a Ctrl-C in the terminal reaches only this
//! process; on SIGINT or SIGTERM it leaves its loop and drops the browser, which ends the session
//! and kills the driver and every browser process below it, by pid.
//!
//! `WEBEXT_PORT_RUN_CHECK=1` (the test run's bounded check): headless; once it has printed a
//! connect and a message it sends itself SIGINT, and after the shutdown it checks that the driver
//! and every browser process it saw are gone; it prints `run check (BROWSER): … N passed; M
//! failed` and fails when no traffic shows within a minute.
//!
//! Options: `--browser chromium|firefox` (default chromium), `--dist DIR`, `--native-manifests
//! DIR`, `--logs DIR` (the driver's log).

use crate::browsers::{launch_with, Kind, Load, Options};
use crate::process::{descendants, is_alive};
use crate::{ports_page, server};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The check gives up when no traffic showed by then.
const CHECK_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(250);

struct Args {
    kind: Kind,
    dist: PathBuf,
    native_manifests: PathBuf,
    logs: PathBuf,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut values: HashMap<String, String> = HashMap::new();
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--browser" | "--dist" | "--native-manifests" | "--logs" => {
                let value = args.next().ok_or(format!("{arg} needs a value"))?;
                values.insert(arg, value);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let kind = match values.remove("--browser").as_deref() {
        None | Some("") | Some("chromium") => Kind::Chromium,
        Some("firefox") => Kind::Firefox,
        Some(other) => return Err(format!("--browser: chromium or firefox, not {other}")),
    };
    let mut take = |name: &str| {
        values
            .remove(name)
            .map(PathBuf::from)
            .ok_or(format!("{name} is required"))
    };
    Ok(Args {
        kind,
        dist: take("--dist")?,
        native_manifests: take("--native-manifests")?,
        logs: take("--logs")?,
    })
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// What the check has seen printed so far.
#[derive(Default)]
struct Seen {
    connect: bool,
    message: bool,
}

impl Seen {
    fn line(&mut self, text: &str) {
        self.connect |= text.ends_with("  connected");
        self.message |= text.contains("  <- ") || text.contains("  -> ");
    }
}

pub fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("run: {e}");
            return ExitCode::from(2);
        }
    };
    let check = std::env::var("WEBEXT_PORT_RUN_CHECK").is_ok_and(|v| v == "1");
    let name = if has_display() {
        format!("{}, headed", args.kind.name())
    } else {
        args.kind.name().to_owned()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // SIGINT and SIGTERM ("termination" feature): only a flag; the loop below does the rest.
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)) {
        eprintln!("run: cannot handle Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    if !args.dist.join("manifest.json").is_file() {
        eprintln!(
            "run: {} has no manifest.json: run ./build.sh first",
            args.dist.display()
        );
        return ExitCode::from(2);
    }
    let _ = std::fs::create_dir_all(&args.logs);
    let server = match server::Server::start(args.dist.join("pkg")) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("run: cannot start the page server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let origin = server.origin();
    // The check runs headless unless the test run gives it a display (xvfb-run) on purpose.
    let headed = has_display();
    let extensions = [args.dist.clone()];
    let load = Load {
        extensions: &extensions,
        native_manifests: &args.native_manifests,
        background_idle_ms: None,
    };
    let options = Options {
        headed,
        own_process_group: true,
    };
    let browser = match launch_with(args.kind, &load, &args.logs, options) {
        Ok(browser) => browser,
        Err(e) => {
            eprintln!("run: cannot launch {name}: {e}");
            if check {
                println!("run check ({name}): the browser did not start: 0 passed; 1 failed");
            }
            return ExitCode::FAILURE;
        }
    };
    let session = &browser.session;
    let test_page = format!("{origin}/test.html");
    let opened = crate::extension_id(args.kind, &args.dist).and_then(|id| {
        let tab = session.current_tab()?;
        session.navigate(&test_page)?;
        session.wait_output("ready", Duration::from_secs(30))?;
        let page = ports_page::open(session, args.kind, &id, &tab)?;
        Ok((id, page))
    });
    let (id, _page) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("run: {e}");
            if check {
                println!("run check ({name}): the pages did not open: 0 passed; 1 failed");
            }
            return ExitCode::FAILURE;
        }
    };
    let scheme = if args.kind == Kind::Chromium {
        "chrome"
    } else {
        "moz"
    };
    println!(
        "run: {} ({}) with {} loaded, extension id {id}",
        args.kind.name(),
        if headed {
            "headed"
        } else {
            "headless: no display"
        },
        args.dist.display()
    );
    println!("run: test page {test_page} (click it to send \"they clicked the page!\"; any page on {origin}/ gets the content script)");
    println!("run: ports page {scheme}-extension://…/ports.html (the toolbar button opens it too)");
    println!("run: port traffic of the MDN example follows; Ctrl-C stops the browser");

    let started = Instant::now();
    let mut last = 0;
    let mut seen = Seen::default();
    let mut asked_to_stop = false;
    let mut lost = false;
    while !stop.load(Ordering::SeqCst) {
        match ports_page::traffic(session, last) {
            Ok(lines) => {
                lost = false;
                for (n, text) in lines {
                    println!("{text}");
                    seen.line(&text);
                    last = last.max(n);
                }
            }
            Err(e) => {
                if !lost {
                    println!(
                        "run: the ports page is gone ({e}); reopen it with the toolbar button"
                    );
                    lost = true;
                }
                match find_ports_page(session) {
                    // Its lines are numbered afresh.
                    Some(_) => last = 0,
                    None if session.tabs().map_or(true, |t| t.is_empty()) => {
                        println!("run: the browser is gone");
                        break;
                    }
                    None => {}
                }
            }
        }
        if check && !asked_to_stop {
            if seen.connect && seen.message {
                // The real path: a signal, the flag, the loop's end, the drop.
                asked_to_stop = interrupt_self();
            } else if started.elapsed() > CHECK_TIMEOUT {
                println!("run check ({name}): no connect and message within {CHECK_TIMEOUT:?}");
                break;
            }
        }
        std::thread::sleep(POLL);
    }
    let driver = browser.driver_pid();
    let mut pids = descendants(driver);
    pids.push(driver);
    println!(
        "run: stopping the driver (pid {driver}) and {} browser processes",
        pids.len() - 1
    );
    drop(browser);
    drop(server);
    let left: Vec<u32> = pids.into_iter().filter(|pid| is_alive(*pid)).collect();
    if left.is_empty() {
        println!("run: stopped");
    } else {
        println!("run: still running after the stop: {left:?}");
    }
    if !check {
        return if left.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let passed = seen.connect && seen.message && asked_to_stop && left.is_empty();
    println!(
        "run check ({name}): printed a connect {} and a message {}, SIGINT {}, processes left {}: {} passed; {} failed",
        seen.connect,
        seen.message,
        if asked_to_stop { "handled" } else { "not sent" },
        left.len(),
        u32::from(passed),
        u32::from(!passed)
    );
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Sends SIGINT to this process (the check's stand-in for Ctrl-C).
fn interrupt_self() -> bool {
    std::process::Command::new("kill")
        .args(["-INT", &std::process::id().to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// Switches to the window showing ports.html, if there is one.
fn find_ports_page(session: &crate::webdriver::Session) -> Option<String> {
    for tab in session.tabs().ok()? {
        if session.switch_to(&tab).is_err() {
            continue;
        }
        if session.url().is_ok_and(|url| url.ends_with("/ports.html")) {
            return Some(tab);
        }
    }
    None
}
