//! A fault-injecting HTTP proxy between the provider and an emulator, for the fault tests.
//!
//! [`FaultProxy::start`] runs mitmproxy's `mitmdump` (from `<repo>/.tools/mitmproxy-venv`, see
//! `make tools`) in reverse mode in front of an [`Emulator`], on a free port of 127.0.0.1, with
//! the addon `tests/support/fault_proxy.py`. Requests pass through unchanged until a rule picks
//! them by their `X-Amz-Target` (the AWS operation): it then answers `ThrottlingException`, a
//! 5xx, never answers, or holds the emulator's answer back. Rules and counters are set and read
//! through the proxy itself, on the reserved path `/__faults__` (never forwarded), so a test can
//! assert that a fault really happened and wait until a held-back call is in flight.
//!
//! ```ignore
//! let emu = Emulator::start(EmulatorKind::Ministack);
//! let proxy = FaultProxy::start(&emu);
//! let tf = Terraform::with_endpoint(&proxy.endpoint(), support::PROVIDER);
//! proxy.throttle(&target::ecs("DescribeServices"), 8);
//! // ... apply ...
//! assert_eq!(proxy.counts().faults(&target::ecs("DescribeServices")), 8);
//! ```

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use super::emulator::Emulator;
use super::process;

/// The reserved path the addon answers itself.
const CONTROL_PATH: &str = "/__faults__";
/// How long mitmdump may take to answer its first control request.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The limit of one control request.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);
/// How many free ports to try when the chosen one is taken before mitmdump binds it.
const START_ATTEMPTS: u32 = 3;

/// `X-Amz-Target` values: the AWS operation a rule applies to.
pub mod target {
    /// Any operation (for [`FaultProxy::one_in`](super::FaultProxy::one_in) under load).
    pub const ANY: &str = "*";

    /// The `X-Amz-Target` of the ECS operation `operation` (e.g. `"DescribeServices"`).
    pub fn ecs(operation: &str) -> String {
        format!("AmazonEC2ContainerServiceV20141113.{operation}")
    }

    /// The `X-Amz-Target` of the ECR operation `operation` (e.g. `"CreateRepository"`).
    pub fn ecr(operation: &str) -> String {
        format!("AmazonEC2ContainerRegistry_V20150921.{operation}")
    }
}

/// What the proxy does with a request a rule picked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// Answer HTTP 400 `ThrottlingException` ("Rate exceeded"), as AWS does.
    Throttle,
    /// Answer this 5xx status (`InternalFailure` for 500, `ServiceUnavailable` for 503).
    ServerError(u16),
    /// Never answer; the connection is dropped when the rules are cleared.
    Hang,
    /// Wait this long, then forward the request (a slow endpoint).
    HangFor(Duration),
    /// Forward the request at once, then hold the emulator's answer back this long.
    Hold(Duration),
}

/// How many of the matching requests a rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// The next `n` matching requests, then the rule is gone.
    Next(u32),
    /// One in every `k`: the `k`-th, the `2k`-th, ... matching request.
    OneIn(u32),
    /// Every matching request until [`FaultProxy::clear`].
    Always,
}

impl From<u32> for Times {
    fn from(n: u32) -> Times {
        Times::Next(n)
    }
}

/// What the proxy has seen, per `X-Amz-Target` (see [`FaultProxy::counts`]).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Counts {
    /// Requests received (faulted or not).
    pub seen: BTreeMap<String, u64>,
    /// Faults injected.
    pub faults: BTreeMap<String, u64>,
    /// Requests whose answer came back from the emulator and is being held back right now.
    pub holding: BTreeMap<String, u64>,
    /// Requests hanging right now.
    pub hanging: BTreeMap<String, u64>,
    /// The rules still in force, as the addon describes them.
    pub rules: Vec<serde_json::Value>,
}

impl Counts {
    /// Requests received for `target`.
    pub fn seen(&self, target: &str) -> u64 {
        self.seen.get(target).copied().unwrap_or(0)
    }

    /// Faults injected for `target`.
    pub fn faults(&self, target: &str) -> u64 {
        self.faults.get(target).copied().unwrap_or(0)
    }

    /// Faults injected, all targets together.
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }

    /// Requests received, all targets together.
    pub fn total_seen(&self) -> u64 {
        self.seen.values().sum()
    }

    /// Answers to `target` being held back right now.
    pub fn holding(&self, target: &str) -> u64 {
        self.holding.get(target).copied().unwrap_or(0)
    }

    /// Requests to `target` hanging right now.
    pub fn hanging(&self, target: &str) -> u64 {
        self.hanging.get(target).copied().unwrap_or(0)
    }
}

/// A running mitmdump in front of an emulator, owned by this value: killed on drop, its log
/// shown if the test is failing.
#[derive(Debug)]
pub struct FaultProxy {
    child: Child,
    port: u16,
    upstream: String,
    /// Holds mitmdump's logs; removed after the process is killed.
    dir: tempfile::TempDir,
}

impl FaultProxy {
    /// Starts mitmdump in reverse mode in front of `emulator` and waits until it answers (at
    /// most 30 s). Panics with its log tail if it does not come up.
    ///
    /// Like [`Emulator::start`], the process gets a parent-death signal tied to the calling
    /// thread: start it on the test's own thread.
    pub fn start(emulator: &Emulator) -> FaultProxy {
        let venv = super::tool("mitmproxy-venv");
        let confdir = super::tool("mitmproxy-conf");
        let addon = super::repo_root().join("tests/support/fault_proxy.py");
        let dir = tempfile::Builder::new()
            .prefix("todo-acc-mitmproxy-")
            .tempdir()
            .expect("create the proxy's temporary directory");
        let upstream = emulator.endpoint();
        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let mut child = spawn(&venv, &confdir, &addon, &upstream, port, dir.path());
            match wait_ready(&mut child, port) {
                Ok(()) => {
                    return FaultProxy {
                        child,
                        port,
                        upstream,
                        dir,
                    };
                }
                Err(reason) => {
                    process::kill_tree(&mut child);
                    let logs = logs(dir.path());
                    last_failure = format!(
                        "mitmdump (attempt {attempt}, port {port}) {reason}\n{}",
                        super::tail(&logs, 40)
                    );
                    let collided = reason.contains("already in use")
                        || logs.contains("already in use")
                        || logs.contains("Address in use");
                    if !collided {
                        break;
                    }
                }
            }
        }
        panic!("the fault proxy did not start: {last_failure}");
    }

    /// The proxy's URL, e.g. `http://127.0.0.1:40121`: give it to the provider instead of the
    /// emulator's.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The emulator endpoint requests are forwarded to.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// mitmdump's output so far (one line per flow, and the addon's log).
    pub fn logs(&self) -> String {
        logs(self.dir.path())
    }

    /// Adds a rule: `fault` for `times` of the requests to `target` (an `X-Amz-Target`, or
    /// [`target::ANY`]). Rules are tried in the order they were added; the first that applies
    /// decides a request.
    pub fn add(&self, target: &str, fault: Fault, times: Times) {
        let mut rule = json!({ "target": target });
        match fault {
            Fault::Throttle => rule["action"] = json!("throttle"),
            Fault::ServerError(status) => {
                assert!(
                    (500..600).contains(&status),
                    "a server error is a 5xx, not {status}"
                );
                rule["action"] = json!("error");
                rule["status"] = json!(status);
            }
            Fault::Hang => rule["action"] = json!("hang"),
            Fault::HangFor(delay) => {
                rule["action"] = json!("hang");
                rule["seconds"] = json!(delay.as_secs_f64());
            }
            Fault::Hold(delay) => {
                rule["action"] = json!("hold");
                rule["seconds"] = json!(delay.as_secs_f64());
            }
        }
        match times {
            Times::Next(n) => rule["times"] = json!(n),
            Times::OneIn(k) => rule["every"] = json!(k),
            Times::Always => {}
        }
        self.control("POST", "/rules", Some(&rule.to_string()));
    }

    /// Answers `ThrottlingException` to `target` (`times`: a count, or a [`Times`]).
    pub fn throttle(&self, target: &str, times: impl Into<Times>) {
        self.add(target, Fault::Throttle, times.into());
    }

    /// Answers the 5xx `status` to `target` (`times`: a count, or a [`Times`]).
    pub fn server_error(&self, target: &str, status: u16, times: impl Into<Times>) {
        self.add(target, Fault::ServerError(status), times.into());
    }

    /// Never answers `target` until [`FaultProxy::clear`] (the requests never reach the
    /// emulator).
    pub fn hang(&self, target: &str) {
        self.add(target, Fault::Hang, Times::Always);
    }

    /// Forwards every request to `target`, then holds the emulator's answer back for `delay`,
    /// until [`FaultProxy::clear`].
    pub fn hold_response(&self, target: &str, delay: Duration) {
        self.add(target, Fault::Hold(delay), Times::Always);
    }

    /// `fault` for one in every `k` requests to `target_or_any`.
    pub fn one_in(&self, target_or_any: &str, k: u32, fault: Fault) {
        self.add(target_or_any, fault, Times::OneIn(k));
    }

    /// Removes every rule and drops the hanging requests' connections; the counters stay.
    pub fn clear(&self) {
        self.control("POST", "/clear", None);
    }

    /// Like [`FaultProxy::clear`], and zeroes the counters.
    pub fn reset(&self) {
        self.control("POST", "/reset", None);
    }

    /// The counters (and the rules still in force).
    pub fn counts(&self) -> Counts {
        let body = self.control("GET", "", None);
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("the fault proxy's counters are not JSON ({e}): {body}"))
    }

    /// Polls the counters (every 50 ms, at most `timeout`) until `done` holds for them, and
    /// returns them; panics naming `what`, with the counters and the proxy's log, if it never
    /// does. Use it to wait until a held-back call is in flight, rather than sleeping.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Counts) -> bool,
    ) -> Counts {
        let deadline = Instant::now() + timeout;
        loop {
            let counts = self.counts();
            if done(&counts) {
                return counts;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {timeout:?} for {what}, in vain; the proxy's counters: {counts:#?}\n{}",
                    super::tail(&self.logs(), 30)
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends a control request and returns the answer's body; panics unless it is a 200.
    fn control(&self, method: &str, path: &str, body: Option<&str>) -> String {
        let path = format!("{CONTROL_PATH}{path}");
        match request(self.port, method, &path, body) {
            Ok((200, text)) => text,
            Ok((status, text)) => panic!("fault proxy {method} {path} answered {status}: {text}"),
            Err(e) => panic!(
                "fault proxy {method} {path} failed: {e}\n{}",
                super::tail(&self.logs(), 30)
            ),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        process::kill_tree(&mut self.child);
        if thread::panicking() {
            eprintln!(
                "--- fault proxy log tail ({} -> {}) ---\n{}",
                self.endpoint(),
                self.upstream,
                super::tail(&logs(self.dir.path()), 40)
            );
        }
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Python snippet run before mitmdump: ask the kernel to SIGKILL it when the thread that
/// spawned it dies (PR_SET_PDEATHSIG = 1), bail out if that already happened, then exec
/// mitmdump so it keeps this pid.
const LAUNCHER: &str = "import ctypes, os, sys\n\
ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)\n\
if os.getppid() != int(sys.argv[1]):\n    sys.exit(70)\n\
os.execv(sys.argv[2], sys.argv[2:])\n";

fn spawn(
    venv: &Path,
    confdir: &Path,
    addon: &Path,
    upstream: &str,
    port: u16,
    dir: &Path,
) -> Child {
    let python = venv.join("bin").join("python");
    let mitmdump = venv.join("bin").join("mitmdump");
    let log =
        |name: &str| File::create(dir.join(name)).unwrap_or_else(|e| panic!("create {name}: {e}"));
    Command::new(&python)
        .arg("-c")
        .arg(LAUNCHER)
        .arg(std::process::id().to_string())
        .arg(&mitmdump)
        .args(["--mode", &format!("reverse:{upstream}")])
        .args([
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            &port.to_string(),
        ])
        .arg("-s")
        .arg(addon)
        .arg("--set")
        .arg(format!("confdir={}", confdir.display()))
        // The emulator sees the Host the client signed, as if it were asked directly.
        .args(["--set", "keep_host_header=true"])
        // Connect upstream only for requests that go there (not for control requests).
        .args(["--set", "connection_strategy=lazy"])
        .current_dir(dir)
        // A clean environment: no proxy settings or Python paths from the caller.
        .env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("HOME", dir)
        .env("TMPDIR", dir)
        .env("LANG", "C.UTF-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(log("stdout.log"))
        .stderr(log("stderr.log"))
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", mitmdump.display()))
}

fn logs(dir: &Path) -> String {
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
    let (out, err) = (read("stdout.log"), read("stderr.log"));
    match (out.trim().is_empty(), err.trim().is_empty()) {
        (_, true) => out,
        (true, false) => format!("--- stderr ---\n{err}"),
        (false, false) => format!("{out}\n--- stderr ---\n{err}"),
    }
}

/// Polls the control path until it answers 200, the process exits, or the time is up.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = process::wait_timeout(child, Duration::ZERO) {
            return Err(format!("exited before it was ready ({status})"));
        }
        if let Ok((200, _)) = request(port, "GET", CONTROL_PATH, None) {
            // Make sure it is our process answering, not one that took the port first.
            let ours = process::listening_addrs(child.id())
                .iter()
                .any(|a| a.port() == port);
            return if ours {
                Ok(())
            } else {
                Err(format!("port {port} is already in use by another process"))
            };
        }
        if Instant::now() >= deadline {
            return Err(format!("was not ready after {READY_TIMEOUT:?}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.1 request to the proxy on 127.0.0.1:`port` (`Connection: close`), every socket
/// operation bounded; returns the status and the body (read up to `Content-Length`).
fn request(port: u16, method: &str, path: &str, body: Option<&str>) -> io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, CONTROL_TIMEOUT)?;
    stream.set_read_timeout(Some(CONTROL_TIMEOUT))?;
    stream.set_write_timeout(Some(CONTROL_TIMEOUT))?;
    let body = body.unwrap_or("");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: todo-acc-harness\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> io::Result<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not an HTTP response: {text:.200}"),
        )
    };
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
    let mut status_line = head.lines().next().ok_or_else(bad)?.split_whitespace();
    if !status_line.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(bad());
    }
    let status = status_line
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    let body = match length {
        Some(n) => body.get(..n).ok_or_else(bad)?.to_string(),
        None => body.to_string(),
    };
    Ok((status, body))
}
