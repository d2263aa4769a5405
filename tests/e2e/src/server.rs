//! A static file server for the test pages, bound to 127.0.0.1 only, stopped on drop.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The pages the harness serves, by path.
const PAGES: &[(&str, &str)] = &[
    ("/test.html", include_str!("../../../www/pages/test.html")),
    ("/nocs.html", include_str!("../../../www/pages/nocs.html")),
    (
        "/frames.html",
        include_str!("../../../www/pages/frames.html"),
    ),
    ("/frame.html", include_str!("../../../www/pages/frame.html")),
    (
        "/nocs-probe.html",
        include_str!("../../../www/pages/nocs-probe.html"),
    ),
    // The same page under /ec/, which the demo lists in externally_connectable.
    (
        "/ec/nocs-probe.html",
        include_str!("../../../www/pages/nocs-probe.html"),
    ),
    ("/bench.html", include_str!("../../../bench/bench.html")),
    ("/cold.html", include_str!("../../../bench/cold.html")),
];

/// The demo's wasm package, served under `/pkg/` so that web pages can load the library too.
const PKG_PREFIX: &str = "/pkg/";

pub struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves the pages above, and `pkg_dir`'s files under `/pkg/`.
    pub fn start(pkg_dir: PathBuf) -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = serve(stream, &pkg_dir);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(Server {
            address,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }
}

fn serve(stream: TcpStream, pkg_dir: &Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let (status, kind, body): (&str, &str, Vec<u8>) =
        if let Some((_, page)) = PAGES.iter().find(|(p, _)| *p == path) {
            (
                "200 OK",
                "text/html; charset=utf-8",
                page.as_bytes().to_vec(),
            )
        } else if let Some(file) = path
            .strip_prefix(PKG_PREFIX)
            .filter(|f| {
                let safe = |b: u8| b.is_ascii_alphanumeric() || b"_.-/".contains(&b);
                !f.is_empty() && f.bytes().all(safe) && !f.contains("..")
            })
            .and_then(|f| std::fs::read(pkg_dir.join(f)).ok().map(|body| (f, body)))
        {
            let kind = if file.0.ends_with(".wasm") {
                "application/wasm"
            } else {
                "text/javascript; charset=utf-8"
            };
            ("200 OK", kind, file.1)
        } else {
            ("404 Not Found", "text/plain", b"not found".to_vec())
        };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
