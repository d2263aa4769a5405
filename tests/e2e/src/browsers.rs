//! Launching headless Chromium (ChromeDriver, `--load-extension`) and Firefox (geckodriver,
//! temporary add-on) with fresh profiles and the demo extension loaded.

use crate::process::{free_port, Driver};
use crate::webdriver::{wait_ready, Result, Session};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chromium,
    Firefox,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chromium => "chromium",
            Kind::Firefox => "firefox",
        }
    }
}

/// A browser with the extension loaded. Dropping it ends the session, then kills the driver and
/// every browser process below it, and deletes the profile.
pub struct Browser {
    pub session: Session,
    driver: Driver,
}

impl Browser {
    /// The browser's fresh profile directory.
    pub fn profile(&self) -> &Path {
        self.driver.profile()
    }

    /// The driver's process id (the browser's processes are below it).
    pub fn driver_pid(&self) -> u32 {
        self.driver.pid()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.session.delete();
        eprintln!(
            "stopping driver pid {} and its browser processes",
            self.driver.pid()
        );
    }
}

fn which(candidates: &[&str]) -> Result<String> {
    candidates
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        })
        .map(|p| p.display().to_string())
        .ok_or_else(|| format!("none of {candidates:?} is installed: this layer cannot run"))
}

fn fresh_profile(kind: Kind) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "webext-port-e2e-{}-{}",
        kind.name(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create profile {}: {e}", dir.display()))?;
    Ok(dir)
}

/// What to load: the extensions, and the native messaging host manifests built by build.sh.
pub struct Load<'a> {
    pub extensions: &'a [PathBuf],
    pub native_manifests: &'a Path,
    /// Firefox: suspend an idle event page after this many ms (pref
    /// `extensions.background.idle.timeout`; Firefox's default is 30 s). Chromium has no such
    /// setting: its service worker is stopped on demand over CDP instead.
    pub background_idle_ms: Option<u32>,
}

/// How to run the browser; the tests use the default (headless, the driver in our process group).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// A visible window (needs a display) instead of headless.
    pub headed: bool,
    /// The driver in a process group of its own (see `Driver::spawn`): for `run`, which stops
    /// everything itself on Ctrl-C.
    pub own_process_group: bool,
}

pub fn launch(kind: Kind, load: &Load, logs: &Path) -> Result<Browser> {
    launch_with(kind, load, logs, Options::default())
}

pub fn launch_with(kind: Kind, load: &Load, logs: &Path, options: Options) -> Result<Browser> {
    let dirs: Vec<String> = load
        .extensions
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let extension = dirs.join(",");
    let profile = fresh_profile(kind)?;
    if kind == Kind::Chromium {
        // A profile given with --user-data-dir reads its own NativeMessagingHosts/ (no root needed).
        let hosts = profile.join("NativeMessagingHosts");
        std::fs::create_dir_all(&hosts).map_err(|e| e.to_string())?;
        let source = load.native_manifests.join("chromium");
        for entry in std::fs::read_dir(&source)
            .map_err(|e| format!("{}: {e}", source.display()))?
            .flatten()
        {
            std::fs::copy(entry.path(), hosts.join(entry.file_name()))
                .map_err(|e| e.to_string())?;
        }
    }
    let port = free_port().map_err(|e| e.to_string())?;
    let log = logs.join(format!("{}-driver.log", kind.name()));
    let (program, args, capabilities) = match kind {
        Kind::Chromium => {
            let binary = which(&["chromium", "chromium-browser", "google-chrome"])?;
            let args = vec![
                format!("--port={port}"),
                "--allowed-ips=127.0.0.1".to_owned(),
            ];
            let mut browser_args = vec![
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--disable-features=DisableLoadExtensionCommandLineSwitch",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
            if options.headed {
                browser_args.retain(|arg| arg != "--headless=new");
            }
            browser_args.extend([
                format!("--user-data-dir={}", profile.display()),
                format!("--load-extension={extension}"),
                format!("--disable-extensions-except={extension}"),
            ]);
            let caps = json!({
                "browserName": "chrome",
                "goog:chromeOptions": { "binary": binary, "args": browser_args }
            });
            (which(&["chromedriver"])?, args, caps)
        }
        Kind::Firefox => {
            let binary = which(&["firefox-esr", "firefox"])?;
            let args = vec![
                "--host".to_owned(),
                "127.0.0.1".to_owned(),
                "--port".to_owned(),
                port.to_string(),
                // The chrome context, for the JS heap of each process (heap.rs): tests only.
                "--allow-system-access".to_owned(),
            ];
            let mut prefs = json!({ "datareporting.policy.dataSubmissionEnabled": false });
            if let Some(ms) = load.background_idle_ms {
                prefs["extensions.background.idle.timeout"] = json!(ms);
            }
            let caps = json!({
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": binary,
                    "args": if options.headed {
                        json!(["-profile", profile.display().to_string()])
                    } else {
                        json!(["-headless", "-profile", profile.display().to_string()])
                    },
                    "prefs": prefs
                }
            });
            (which(&["geckodriver"])?, args, caps)
        }
    };
    let driver = Driver::spawn(
        &program,
        &args,
        port,
        profile,
        &log,
        options.own_process_group,
    )
    .map_err(|e| format!("cannot start {program}: {e}"))?;
    let base = format!("http://127.0.0.1:{}", driver.port);
    wait_ready(&base, Duration::from_secs(30))?;
    let session = Session::new(&base, capabilities)?;
    let browser = Browser { session, driver };
    if kind == Kind::Firefox {
        for dir in &dirs {
            browser.session.install_firefox_addon(dir)?;
        }
    }
    Ok(browser)
}
