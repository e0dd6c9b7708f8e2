//! Stand-in AWS endpoints on 127.0.0.1 for tests that must not reach an emulator:
//! [`StubEndpoint`] answers every request with one fixed status and body and counts the
//! requests (a recorder, or a service that refuses everything, such as LocalStack's free core);
//! [`HungEndpoint`] accepts connections into its backlog and never answers.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// A local HTTP endpoint answering every request with a fixed status and JSON body, counting
/// the requests; stopped on drop.
#[derive(Debug)]
pub struct StubEndpoint {
    port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl StubEndpoint {
    /// Listens on a free port of 127.0.0.1 and answers each request with `status` and `body`
    /// (as `application/x-amz-json-1.1`), one connection at a time, on a thread of its own.
    pub fn start(status: u16, body: &'static str) -> StubEndpoint {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("address").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopping) = (requests.clone(), stop.clone());
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if serve(stream, status, body) {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        StubEndpoint {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The endpoint URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests it has answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for StubEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request (head and Content-Length body) and answers it; false if nothing came.
fn serve(mut stream: TcpStream, status: u16, body: &str) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let header_end = loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while raw.len() < header_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let reason = if status == 501 {
        "Not Implemented"
    } else {
        "OK"
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
    true
}

/// A port on 127.0.0.1 that is bound and never accepted: connections queue in the backlog and
/// requests are never answered, as with a hung endpoint. Released on drop.
#[derive(Debug)]
pub struct HungEndpoint {
    listener: TcpListener,
}

impl HungEndpoint {
    /// Binds a free port of 127.0.0.1.
    pub fn start() -> HungEndpoint {
        HungEndpoint {
            listener: TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0"),
        }
    }

    /// The endpoint URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().expect("address"))
    }
}
