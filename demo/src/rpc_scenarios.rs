//! The request/response scenarios: the background answers [`Ask`]s on "rpc" ports; the content
//! script asks, over a fresh port per scenario, and shows what came back. One scenario runs the
//! other way (the background asks a content script over `tabs.connect`), so the client's timer
//! runs in the background too (Chromium: a service worker, which has no `window`).

use crate::content::report;
use crate::js::sleep;
use crate::protocol::Ask;
use futures::future::{join_all, pending};
use std::time::Duration;
use webext_port::{rpc, runtime, tabs, ConnectInfo, ErrorKind, Port, PortError};

/// Answers every request on this port while it lives (the background's "rpc" ports, and the
/// content script's "rpc-from-bg" port).
pub fn serve(port: &Port) {
    let own = port.clone();
    rpc::serve(port, move |ask: Ask| {
        let own = own.clone();
        async move {
            match ask {
                Ask::Echo(text) => Ok(text),
                Ask::After { n, ms } => {
                    sleep(ms as i32).await;
                    Ok(n.to_string())
                }
                Ask::Fail(why) => Err(PortError::new(ErrorKind::HandlerFailed, why)),
                Ask::Never => pending().await,
                Ask::DisconnectMe => {
                    let _ = own.disconnect();
                    pending().await
                }
            }
        }
    })
    .forget();
}

/// Content script: runs `cmd` if it is an rpc scenario.
pub fn run(cmd: &str) -> bool {
    let scenario = match cmd {
        "rpc-round-trip" => "rpc_round_trip",
        "rpc-concurrent" => "rpc_concurrent_requests",
        "rpc-handler-error" => "rpc_handler_error",
        "rpc-timeout" => "rpc_timeout",
        "rpc-disconnect-in-flight" => "rpc_disconnect_in_flight",
        "rpc-own-disconnect-in-flight" => "rpc_own_disconnect_in_flight",
        _ => return false,
    };
    let port = match runtime::connect(&ConnectInfo::named("rpc")) {
        Ok(port) => port,
        Err(err) => {
            report(scenario, &format!("err:{}", err.kind()));
            return true;
        }
    };
    let background = rpc::Client::<Ask, String>::new(&port);
    let cmd = cmd.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let value = ask(&cmd, &background).await;
        let _ = port.disconnect();
        report(scenario, &value);
    });
    true
}

fn shown(result: Result<String, PortError>) -> String {
    match result {
        Ok(text) => text,
        Err(err) if err.kind() == ErrorKind::HandlerFailed => {
            format!("err:{}: {}", err.kind(), err.message())
        }
        Err(err) => format!("err:{}", err.kind()),
    }
}

/// `"<n> pending: disconnected x<n>"`: how every pending request ended (grouped by kind).
fn tally(results: Vec<Result<String, PortError>>) -> String {
    let mut kinds: Vec<String> = results.into_iter().map(shown).collect();
    let total = kinds.len();
    kinds.dedup();
    let kinds: Vec<String> = kinds
        .iter()
        .map(|k| k.trim_start_matches("err:").to_owned())
        .collect();
    format!("{total} pending: {} x{total}", kinds.join("+"))
}

async fn ask(cmd: &str, background: &rpc::Client<Ask, String>) -> String {
    match cmd {
        "rpc-round-trip" => shown(background.request(&Ask::Echo("ping".into())).await),
        "rpc-concurrent" => {
            // The earlier the request, the later its answer: each must still get its own.
            let requests = (0..20u32).map(|n| {
                background.request(&Ask::After {
                    n,
                    ms: (20 - n) * 10,
                })
            });
            let answers = join_all(requests).await;
            let own = answers
                .iter()
                .enumerate()
                .filter(|(n, a)| a.as_deref() == Ok(&n.to_string()))
                .count();
            format!("{own} of {} got their own answer", answers.len())
        }
        "rpc-handler-error" => shown(background.request(&Ask::Fail("no such thing".into())).await),
        "rpc-timeout" => {
            let timed_out = background
                .request_with_timeout(&Ask::Never, Duration::from_millis(200))
                .await;
            let after = background
                .request(&Ask::Echo("still answering".into()))
                .await;
            format!("{} then {}", shown(timed_out), shown(after))
        }
        "rpc-disconnect-in-flight" => {
            // Five requests nobody answers, then one that makes the background disconnect.
            let mut requests: Vec<_> = (0..5).map(|_| background.request(&Ask::Never)).collect();
            requests.push(background.request(&Ask::DisconnectMe));
            tally(join_all(requests).await)
        }
        "rpc-own-disconnect-in-flight" => {
            let requests: Vec<_> = (0..5).map(|_| background.request(&Ask::Never)).collect();
            // Already waiting when we disconnect: only the disconnect can wake them. (The echo's
            // answer says the five reached the background: a port is first in, first out.)
            let disconnect = async {
                let _ = background.request(&Ask::Echo("in flight".into())).await;
                let _ = background.port().disconnect();
            };
            let (results, ()) = futures::join!(join_all(requests), disconnect);
            tally(results)
        }
        other => format!("unknown rpc scenario {other}"),
    }
}

/// Background: asks the top frame of tab `tab` (which serves [`Ask`]s on "rpc-from-bg") a
/// question it never answers, with a 200 ms timeout, then one it does.
pub async fn timeout_in_background(tab: i32) -> String {
    let info = tabs::ConnectInfo::named("rpc-from-bg").frame_id(0);
    let port = match tabs::connect(tab, &info) {
        Ok(port) => port,
        Err(err) => return format!("err:{}", err.kind()),
    };
    let content = rpc::Client::<Ask, String>::new(&port).with_timeout(Duration::from_millis(200));
    let timed_out = content.request(&Ask::Never).await;
    let after = content.request(&Ask::Echo("still answering".into())).await;
    let _ = port.disconnect();
    format!("{} then {}", shown(timed_out), shown(after))
}
