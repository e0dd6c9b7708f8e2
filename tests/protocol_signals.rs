//! Signals to the provider process, tested from outside: SIGTERM at any moment after start,
//! even right after the handshake line, ends in a clean exit (status 0) that removes the
//! socket from the temporary directory; SIGINT (Ctrl-C, which Terraform answers with
//! StopProvider) does not stop the provider. Signals are sent with `/usr/bin/kill`.

#[allow(dead_code)]
#[path = "support/process.rs"]
mod process;

use std::io::{BufRead, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-todo");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// How long a signalled provider may take to exit.
const EXIT_BOUND: Duration = Duration::from_secs(5);

/// Terraform's client certificate, for the runs with TLS.
fn client_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.self_signed(&key).expect("self-signed").pem()
}

/// Starts the provider with `tmpdir` as its temporary directory (TLS when `pem` is given) and
/// returns once the handshake line has been read.
fn start(tmpdir: &Path, pem: Option<&str>) -> (Child, String) {
    let mut command = Command::new(BINARY);
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TMPDIR", tmpdir)
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(pem) = pem {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = command.spawn().expect("start provider");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("handshake line");
    (child, line)
}

fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// What is left in `dir`.
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits (bounded) for `child` to exit after a signal; a description of what went wrong, if
/// anything: not exiting, a status other than 0, a panic, or a folder left in `tmpdir`.
fn clean_exit(child: &mut Child, tmpdir: &Path) -> Option<String> {
    let Some(status) = process::wait_timeout(child, EXIT_BOUND) else {
        let _ = child.kill();
        let _ = child.wait();
        return Some(format!("still running after {EXIT_BOUND:?}"));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let left = entries(tmpdir);
    if status.code() != Some(0) {
        Some(format!("{status}, left {left:?}, stderr {stderr:?}"))
    } else if stderr.contains("panicked") {
        Some(format!("panicked: {stderr}"))
    } else if !left.is_empty() {
        Some(format!("left {left:?}"))
    } else {
        None
    }
}

/// A small pseudo-random sequence (xorshift), seeded from the clock and printed, so that a
/// failing run can be told apart from the others.
struct Jitter(u64);

impl Jitter {
    fn next_below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

#[test]
fn sigterm_at_any_moment_after_start_exits_cleanly_and_removes_the_socket() {
    const RUNS: usize = 40;
    let started = Instant::now();
    let pem = client_pem();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("jitter seed {seed}");
    let mut jitter = Jitter(seed);
    let mut failures = Vec::new();
    for run in 0..RUNS {
        let tmpdir = tempfile::tempdir().expect("temporary directory");
        // Half the runs with TLS, half without; every other run signals right after the
        // handshake line, the rest after up to 30 ms.
        let tls = run % 4 < 2;
        let delay = if run % 2 == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(jitter.next_below(31))
        };
        let (mut child, line) = start(tmpdir.path(), tls.then_some(pem.as_str()));
        std::thread::sleep(delay);
        send("TERM", child.id());
        if let Some(failure) = clean_exit(&mut child, tmpdir.path()) {
            failures.push(format!(
                "run {run} (tls {tls}, {delay:?}, {line:?}): {failure}"
            ));
        }
    }
    let elapsed = started.elapsed();
    eprintln!("{RUNS} runs in {elapsed:?}");
    assert!(
        failures.is_empty(),
        "{} of {RUNS} signals did not end in a clean exit:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        elapsed < Duration::from_secs(60),
        "{RUNS} runs took {elapsed:?}"
    );
}

#[test]
fn sigint_is_left_to_terraform_and_a_later_sigterm_still_exits_cleanly() {
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let (mut child, _) = start(tmpdir.path(), None);
    send("INT", child.id());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "Ctrl-C stopped the provider; Terraform answers it with StopProvider"
    );
    send("TERM", child.id());
    assert_eq!(clean_exit(&mut child, tmpdir.path()), None);
}

#[test]
fn sighup_exits_cleanly_too() {
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let (mut child, _) = start(tmpdir.path(), None);
    send("HUP", child.id());
    assert_eq!(clean_exit(&mut child, tmpdir.path()), None);
}

/// An HTTP/2 HEADERS frame (stream 1, END_HEADERS, no END_STREAM) opening a gRPC call whose
/// request body never comes, in HPACK literals without indexing or Huffman coding.
fn open_grpc_call_frame() -> Vec<u8> {
    let headers = [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/tfplugin6.Provider/GetProviderSchema"),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ];
    let mut block = Vec::new();
    for (name, value) in headers {
        block.push(0);
        block.push(u8::try_from(name.len()).expect("short name"));
        block.extend_from_slice(name.as_bytes());
        block.push(u8::try_from(value.len()).expect("short value"));
        block.extend_from_slice(value.as_bytes());
    }
    let length = u32::try_from(block.len())
        .expect("short block")
        .to_be_bytes();
    let mut frame = vec![length[1], length[2], length[3], 1, 0x4, 0, 0, 0, 1];
    frame.extend(block);
    frame
}

#[test]
fn a_second_sigterm_stops_a_shutdown_that_waits_for_an_open_call() {
    use std::io::Write as _;
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let (mut child, line) = start(tmpdir.path(), None);
    let socket = line.trim_end().split('|').nth(3).expect("socket path");
    let mut client = std::os::unix::net::UnixStream::connect(socket).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    client
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .expect("preface");
    client
        .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .expect("settings");
    client.write_all(&open_grpc_call_frame()).expect("headers");
    let mut header = [0u8; 9];
    client.read_exact(&mut header).expect("server settings");
    assert_eq!(header[3], 4, "the server speaks HTTP/2");

    send("TERM", child.id());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the first SIGTERM waits for the open call"
    );
    send("TERM", child.id());
    assert_eq!(clean_exit(&mut child, tmpdir.path()), None);
}
