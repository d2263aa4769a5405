//! Test commands for `runtime.connectNative`, against the test native host (`tests/native-host/`,
//! `webext_port_test_host`, installed by build.sh), written as async functions that answer with
//! the observations to show.

use crate::background::closing_reports;
use crate::content::report as show;
use crate::js::{outcome, reason};
use crate::protocol::{report, HostCommand, HostReply, Reports};
use futures::StreamExt;
use webext_port::{runtime, PortError, TypedPort, MESSAGE_LIMIT};

/// The host's name in its manifests.
pub const HOST: &str = "webext_port_test_host";

type Host = TypedPort<HostReply, HostCommand>;

/// Runs `cmd` if it is a native one; `None` if it is not.
pub async fn command(cmd: &str) -> Option<Reports> {
    Some(match cmd {
        "native-echo" => echo().await,
        "native-burst" => burst().await,
        "native-not-found" => {
            let opened = runtime::connect_native("webext_port_no_such_host");
            closing_reports(opened, "native_host_not_found").await
        }
        "native-invalid-name" => {
            let result = runtime::connect_native("Not A Host!").map(drop);
            vec![report("native_invalid_host_name", outcome(&result))]
        }
        "native-exit" => ends_with("exit", "native_host_exits").await,
        "native-crash" => ends_with("crash", "native_host_crashes").await,
        "native-oversize" => ends_with("oversize", "native_host_sends_over_1mib").await,
        "native-invalid-json" => invalid_json().await,
        "native-too-large" => too_large(),
        "native-pid" => pid_then_disconnect().await,
        _ => return None,
    })
}

pub(crate) fn open() -> Result<Host, PortError> {
    runtime::connect_native(HOST).map(|port| port.typed())
}

fn failed(key: &str, err: &PortError) -> Reports {
    vec![report(key, format!("err:{}", err.kind()))]
}

fn echo_command(value: &str) -> HostCommand {
    HostCommand {
        value: Some(value.to_owned()),
        ..HostCommand::new("echo")
    }
}

/// Echo round trip; also reports the port name (the application name in both browsers).
async fn echo() -> Reports {
    let host = match open() {
        Ok(host) => host,
        Err(err) => return failed("native_echo", &err),
    };
    let mut reports = vec![report("native_port_name", host.port().name())];
    let _ = host.send(&echo_command("ping"));
    let echoed = match host.messages().next().await {
        Some(Ok(reply)) => reply.echo.clone().unwrap_or_else(|| format!("{reply:?}")),
        Some(Err(err)) => format!("err:{}", err.kind()),
        None => reason(&host.closed().await),
    };
    let _ = host.disconnect();
    reports.push(report("native_echo", echoed));
    reports
}

/// The host sends 5 numbered messages: all must arrive, in order.
async fn burst() -> Reports {
    let host = match open() {
        Ok(host) => host,
        Err(err) => return failed("native_burst_in_order", &err),
    };
    let mut messages = host.messages();
    let _ = host.send(&HostCommand {
        count: Some(5),
        ..HostCommand::new("burst")
    });
    let mut seen = Vec::new();
    while seen.len() < 5 {
        match messages.next().await {
            Some(Ok(reply)) => seen.push(reply.burst.map_or(-1, i64::from)),
            _ => break,
        }
    }
    let _ = host.disconnect();
    let in_order = seen == [0, 1, 2, 3, 4];
    vec![report(
        "native_burst_in_order",
        if in_order {
            "5 in order"
        } else {
            "out of order"
        },
    )]
}

/// Sends `host_cmd`, after which the host ends the conversation one way or another.
async fn ends_with(host_cmd: &'static str, key: &str) -> Reports {
    let host = open();
    if let Ok(host) = &host {
        let _ = host.send(&HostCommand::new(host_cmd));
    }
    closing_reports(host.map(|h| h.port().clone()), key).await
}

/// A message over the 64 MiB limit is refused before the browser sees it.
fn too_large() -> Reports {
    let host = match open() {
        Ok(host) => host,
        Err(err) => return failed("native_post_too_large", &err),
    };
    let huge = js_sys::JsString::from("x").repeat(MESSAGE_LIMIT as i32);
    let result = host.port().post(&huge.into());
    let _ = host.disconnect();
    vec![report("native_post_too_large", outcome(&result))]
}

/// Asks the host for its process id.
pub(crate) async fn pid(host: &Host) -> Option<u32> {
    host.send(&HostCommand::new("pid")).ok()?;
    host.messages().next().await?.ok()?.pid
}

/// Reports the host's pid, then disconnects (the test checks the process is gone) and tries to
/// post once more.
async fn pid_then_disconnect() -> Reports {
    let host = match open() {
        Ok(host) => host,
        Err(err) => return failed("native_host_pid", &err),
    };
    let pid = pid(&host).await;
    let _ = host.disconnect();
    let after = host.send(&HostCommand::new("pid"));
    vec![
        report(
            "native_host_pid",
            pid.map_or("none".to_owned(), |p| p.to_string()),
        ),
        report("native_post_after_disconnect", outcome(&after)),
    ]
}

/// The host sends a frame that is not JSON, then we ask for an echo. Reports the first thing
/// that happens: the port closing (Firefox) or the echo arriving on a port that survived
/// (Chromium).
async fn invalid_json() -> Reports {
    let key = "native_host_sends_invalid_json";
    let host = match open() {
        Ok(host) => host,
        Err(err) => return failed(key, &err),
    };
    let mut messages = host.messages();
    let _ = host.send(&HostCommand::new("invalid_json"));
    let _ = host.send(&echo_command("after"));
    // The first message must be the echo: the invalid frame itself must not arrive.
    let seen = match messages.next().await {
        Some(Ok(HostReply {
            echo: Some(text), ..
        })) if text == "after" => "message dropped, port open".to_owned(),
        Some(Ok(other)) => format!("delivered {other:?}"),
        Some(Err(err)) => format!("delivered {:?}", err.raw_value()),
        None => reason(&host.closed().await),
    };
    let _ = host.disconnect();
    vec![report(key, seen)]
}

/// Native messaging from a content script: the library says Unsupported in every browser.
/// Also calls the browser's own `runtime.connectNative` there, without the library.
pub fn from_content() {
    const KEY: &str = "content_script_connect_native";
    raw_from_content();
    let host = match open() {
        Ok(host) => host,
        Err(err) => return show(KEY, &format!("err:{}", err.kind())),
    };
    let _ = host.send(&echo_command("ping"));
    wasm_bindgen_futures::spawn_local(async move {
        let value = match host.messages().next().await {
            Some(Ok(reply)) => reply.echo.unwrap_or_default(),
            _ => reason(&host.closed().await),
        };
        let _ = host.disconnect();
        show(KEY, &value);
    });
}

/// The browser's own `runtime.connectNative` in this content script: "no connectNative", or how
/// its port ended ("closed: <message>") or what it echoed.
fn raw_from_content() {
    use wasm_bindgen::{JsCast, JsValue};
    const KEY: &str = "content_script_connect_native_browser";
    let runtime = crate::js::api("runtime").unwrap_or(JsValue::UNDEFINED);
    let connect = js_sys::Reflect::get(&runtime, &"connectNative".into()).unwrap_or_default();
    let Some(connect) = connect.dyn_ref::<js_sys::Function>() else {
        return show(KEY, "no connectNative");
    };
    let raw = match connect.call1(&runtime, &HOST.into()) {
        Ok(raw) => raw,
        Err(thrown) => return show(KEY, &format!("threw: {thrown:?}")),
    };
    // Wrapped only to listen and clean up; what is reported is the raw port's own `error`.
    let Ok(port) = webext_port::Port::from_raw(raw.clone()) else {
        return show(KEY, "not a port");
    };
    let host: Host = port.typed();
    let _ = host.send(&echo_command("ping"));
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(Ok(reply)) = host.messages().next().await {
            return show(KEY, &reply.echo.unwrap_or_default());
        }
        let error = js_sys::Reflect::get(&raw, &"error".into()).unwrap_or_default();
        let words = js_sys::Reflect::get(&error, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "no error".to_owned());
        show(KEY, &format!("closed: {words}"));
    });
}
