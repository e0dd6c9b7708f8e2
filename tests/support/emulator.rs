//! AWS emulators for acceptance tests.
//!
//! [`Emulator::start`] runs ministack or moto from `<repo>/.tools/venv` on 127.0.0.1 only, on a
//! free port, in its own temporary directory, waits until it answers, and kills it on drop.
//! When `TODO_ACC_ENDPOINT` is set, it uses that endpoint instead (LocalStack Pro, or any
//! AWS-compatible endpoint) and starts and kills nothing.

use std::fmt;
use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::http;
use super::process;

/// The variable naming an external endpoint that replaces the emulators.
pub const ENDPOINT_VAR: &str = "TODO_ACC_ENDPOINT";

/// How long an emulator may take to answer its readiness probe.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many free ports to try when the chosen one is taken before the emulator binds it.
const START_ATTEMPTS: u32 = 3;

/// Which emulator to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmulatorKind {
    /// ministack (LocalStack-compatible): good ECS fidelity, lax validation; account 000000000000.
    Ministack,
    /// moto's server mode: strict ECR validation, shallow ECS; account 123456789012.
    Moto,
}

impl EmulatorKind {
    /// The account id the emulator puts in ARNs.
    pub fn account_id(self) -> &'static str {
        match self {
            EmulatorKind::Ministack => "000000000000",
            EmulatorKind::Moto => "123456789012",
        }
    }

    fn program(self) -> &'static str {
        match self {
            EmulatorKind::Ministack => "ministack",
            EmulatorKind::Moto => "moto_server",
        }
    }

    /// A GET path that answers 2xx once the emulator serves requests.
    fn ready_path(self) -> &'static str {
        match self {
            // 200 once start-up (including ready.d scripts) is complete, 503 before.
            EmulatorKind::Ministack => "/_ministack/ready",
            // Answers 201 (sic) with moto's configuration.
            EmulatorKind::Moto => "/moto-api/config",
        }
    }

    fn reset_path(self) -> &'static str {
        match self {
            EmulatorKind::Ministack => "/_ministack/reset",
            EmulatorKind::Moto => "/moto-api/reset",
        }
    }
}

impl fmt::Display for EmulatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program())
    }
}

/// A running emulator process we own.
#[derive(Debug)]
struct Owned {
    child: Child,
    port: u16,
    /// Holds the emulator's temporary files and logs; removed after the process is killed.
    dir: tempfile::TempDir,
}

/// An AWS endpoint for a test: an emulator process owned by this value, or an external endpoint.
///
/// Dropping it kills the emulator (and anything it started) and waits for it to exit.
#[derive(Debug)]
pub struct Emulator {
    kind: EmulatorKind,
    endpoint: String,
    owned: Option<Owned>,
    startup: Duration,
}

impl Emulator {
    /// Starts an emulator of `kind` and waits until it is ready (at most 30 s), or, when
    /// `TODO_ACC_ENDPOINT` is set and not empty, uses that endpoint instead.
    ///
    /// Panics with the emulator's log tail if it does not come up.
    ///
    /// The process is started with a parent-death signal, so it is killed even if the test
    /// binary dies without unwinding. That signal is tied to the *thread* that called `start`:
    /// start it on the test's own thread (not from `spawn_blocking` or a thread that ends before
    /// the test does), and do not share one emulator between tests through a `static`.
    pub fn start(kind: EmulatorKind) -> Emulator {
        if let Some(endpoint) = std::env::var(ENDPOINT_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return Emulator {
                kind,
                endpoint: endpoint.trim().trim_end_matches('/').to_string(),
                owned: None,
                startup: Duration::ZERO,
            };
        }
        let venv = super::tool("venv");
        let program = venv.join("bin").join(kind.program());
        if !program.exists() {
            panic!("{} is missing: run `make tools` first", program.display());
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("todo-acc-{}-", kind.program()))
            .tempdir()
            .expect("create the emulator's temporary directory");
        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let started = Instant::now();
            let mut child = spawn(kind, &venv, &program, port, dir.path());
            match wait_ready(kind, &mut child, port) {
                Ok(()) => {
                    return Emulator {
                        kind,
                        endpoint: format!("http://127.0.0.1:{port}"),
                        owned: Some(Owned { child, port, dir }),
                        startup: started.elapsed(),
                    };
                }
                Err(reason) => {
                    process::kill_tree(&mut child);
                    let logs = logs(dir.path());
                    last_failure = format!(
                        "{kind} (attempt {attempt}, port {port}) {reason}\n{}",
                        super::tail(&logs, 40)
                    );
                    let collided =
                        reason.contains("already in use") || logs.contains("already in use");
                    if !collided {
                        break;
                    }
                }
            }
        }
        panic!("the emulator did not start: {last_failure}");
    }

    /// Which emulator this is (for an external endpoint: the kind the test asked for).
    pub fn kind(&self) -> EmulatorKind {
        self.kind
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:38211`, without a trailing slash.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// True when the endpoint came from `TODO_ACC_ENDPOINT` (nothing was started).
    pub fn is_external(&self) -> bool {
        self.owned.is_none()
    }

    /// The account id in ARNs; `None` for an external endpoint, whose account is not known.
    pub fn account_id(&self) -> Option<&'static str> {
        self.owned.as_ref().map(|_| self.kind.account_id())
    }

    /// The emulator's process id; `None` for an external endpoint.
    pub fn pid(&self) -> Option<u32> {
        self.owned.as_ref().map(|o| o.child.id())
    }

    /// The port on 127.0.0.1; `None` for an external endpoint.
    pub fn port(&self) -> Option<u16> {
        self.owned.as_ref().map(|o| o.port)
    }

    /// How long the emulator took from spawn to its first ready answer (zero if external).
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// The emulator's stdout and stderr so far (empty for an external endpoint).
    pub fn logs(&self) -> String {
        self.owned
            .as_ref()
            .map(|o| logs(o.dir.path()))
            .unwrap_or_default()
    }

    /// The emulator's temporary directory (logs, scratch files); `None` if external.
    pub fn dir(&self) -> Option<&Path> {
        self.owned.as_ref().map(|o| o.dir.path())
    }

    /// Forgets all state (repositories, images, clusters, services, ...). Does nothing for an
    /// external endpoint. Panics if the emulator does not confirm.
    pub fn reset(&self) {
        let Some(owned) = &self.owned else { return };
        let path = self.kind.reset_path();
        match http::request(owned.port, "POST", path, Duration::from_secs(30)) {
            Ok(r) if (200..300).contains(&r.status) => {}
            Ok(r) => panic!(
                "{} POST {path} answered {}: {}",
                self.kind, r.status, r.body
            ),
            Err(e) => panic!(
                "{} POST {path} failed: {e}\n{}",
                self.kind,
                super::tail(&self.logs(), 40)
            ),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let Some(owned) = &mut self.owned else { return };
        process::kill_tree(&mut owned.child);
        if thread::panicking() {
            eprintln!(
                "--- {} log tail ({}) ---\n{}",
                self.kind,
                self.endpoint,
                super::tail(&logs(owned.dir.path()), 30)
            );
        }
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Python snippet run before the emulator: ask the kernel to SIGKILL it when the thread that
/// spawned it dies (PR_SET_PDEATHSIG = 1), bail out if that already happened, then exec the
/// emulator so it keeps this pid.
const LAUNCHER: &str = "import ctypes, os, sys\n\
ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)\n\
if os.getppid() != int(sys.argv[1]):\n    sys.exit(70)\n\
os.execv(sys.argv[2], sys.argv[2:])\n";

fn spawn(kind: EmulatorKind, venv: &Path, program: &Path, port: u16, dir: &Path) -> Child {
    let python = venv.join("bin").join("python");
    let mut cmd = Command::new(&python);
    cmd.arg("-c")
        .arg(LAUNCHER)
        .arg(std::process::id().to_string())
        .arg(program)
        .current_dir(dir)
        // A clean environment: nothing from the caller (persistence switches, AWS settings,
        // proxies) changes how the emulator behaves.
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
        .stdout(log_file(dir, "stdout.log"))
        .stderr(log_file(dir, "stderr.log"));
    match kind {
        EmulatorKind::Ministack => {
            cmd.env("BIND_HOST", "127.0.0.1")
                .env("GATEWAY_PORT", port.to_string())
                .env("S3_DATA_DIR", dir.join("s3"))
                // Keeps ECS tasks simulated instead of looking for Docker.
                .env("DOCKER_HOST", "unix:///nonexistent.sock")
                // Extra listeners that would bind 0.0.0.0 on fixed ports (8883, 2222).
                .env("IOT_MTLS_ENABLED", "0")
                .env("SFTP_ENABLED", "0");
        }
        EmulatorKind::Moto => {
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // Services report one running task, so steady-state waits finish.
                .env("MOTO_ECS_SERVICE_RUNNING", "1");
        }
    }
    cmd.spawn()
        .unwrap_or_else(|e| panic!("start {} ({}): {e}", kind, program.display()))
}

fn log_file(dir: &Path, name: &str) -> File {
    File::create(dir.join(name)).unwrap_or_else(|e| panic!("create {name}: {e}"))
}

fn logs(dir: &Path) -> String {
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
    let (out, err) = (read("stdout.log"), read("stderr.log"));
    let mut text = String::new();
    if !out.trim().is_empty() {
        text.push_str(&format!("--- stdout ---\n{out}"));
    }
    if !err.trim().is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("--- stderr ---\n{err}"));
    }
    text
}

/// Polls the readiness path until it answers 2xx, the process exits, or the time is up.
fn wait_ready(kind: EmulatorKind, child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = process::wait_timeout(child, Duration::ZERO) {
            return Err(format!("exited before it was ready ({status})"));
        }
        match http::request(port, "GET", kind.ready_path(), Duration::from_secs(2)) {
            Ok(r) if (200..300).contains(&r.status) => {
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
            Ok(_) | Err(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(format!("was not ready after {READY_TIMEOUT:?}"));
        }
        thread::sleep(Duration::from_millis(25));
    }
}
