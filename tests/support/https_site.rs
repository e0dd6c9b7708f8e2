//! A static HTTPS file server on 127.0.0.1, standing in for the static host (S3, Pages, nginx)
//! that serves a private provider registry in the release tests.
//!
//! [`HttpsSite::serve`] makes a throwaway CA and a certificate for `localhost` and `127.0.0.1`
//! signed by it, writes the CA to a PEM file for `SSL_CERT_FILE`, and serves the files under a
//! folder as a static host does: `GET` only, `Content-Type` from the file extension
//! (`application/json` for `.json`, `application/octet-stream` otherwise), 404 for anything
//! else. It records the paths asked for, so a test can show what Terraform fetched. Every socket
//! operation has a time limit; dropping the site stops the server and joins its threads.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The limit for each read and write on a connection.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the accept loop checks whether it should stop.
const ACCEPT_POLL: Duration = Duration::from_millis(20);
/// The largest request head read before the connection is dropped.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// A running static HTTPS site; stopped on drop.
pub struct HttpsSite {
    port: u16,
    ca_dir: tempfile::TempDir,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl HttpsSite {
    /// Serves the files under `root` on a free port of 127.0.0.1.
    pub fn serve(root: &Path) -> HttpsSite {
        let ca_dir = tempfile::Builder::new()
            .prefix("todo-https-site-")
            .tempdir()
            .expect("create the CA's temporary directory");
        let (ca_pem, chain, key) = throwaway_certificates();
        fs::write(ca_dir.path().join("ca.pem"), ca_pem).expect("write the CA certificate");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the site's certificate");
        let config = Arc::new(config);
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let root = root.to_path_buf();
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            thread::spawn(move || accept_loop(&listener, &config, &root, &requests, &stop))
        };
        HttpsSite {
            port,
            ca_dir,
            requests,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// The host name Terraform uses for the site: `localhost:<port>`.
    pub fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// The PEM file of the CA that signed the site's certificate, for `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> PathBuf {
        self.ca_dir.path().join("ca.pem")
    }

    /// The request lines received so far (`GET /path -> status`), in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}

impl Drop for HttpsSite {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// A CA certificate (PEM) and, signed by it, a chain and key for `localhost` and `127.0.0.1`.
fn throwaway_certificates() -> (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "todo release test CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let leaf_key = rcgen::KeyPair::generate().expect("site key");
    let mut leaf_params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("site params");
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .expect("site certificate");
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("site key DER");
    (ca.pem(), vec![leaf.der().clone(), ca.der().clone()], key)
}

fn accept_loop(
    listener: &TcpListener,
    config: &Arc<rustls::ServerConfig>,
    root: &Path,
    requests: &Arc<Mutex<Vec<String>>>,
    stop: &AtomicBool,
) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let config = Arc::clone(config);
                let root = root.to_path_buf();
                let requests = Arc::clone(requests);
                workers.push(thread::spawn(move || {
                    // A failed connection (a client that went away) only ends that connection.
                    let _ = serve_connection(stream, config, &root, &requests);
                }));
                workers.retain(|w| !w.is_finished());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
    // Each worker ends within IO_TIMEOUT of its last read or write.
    for worker in workers {
        let _ = worker.join();
    }
}

/// Answers one request on `stream` and closes it.
fn serve_connection(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    root: &Path,
    requests: &Mutex<Vec<String>>,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let connection = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let head = read_head(&mut tls)?;
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    let (status, content_type, body) = match (method, file_under(root, path)) {
        ("GET", Some(file)) => match fs::read(&file) {
            Ok(bytes) => ("200 OK", content_type_of(&file), bytes),
            Err(_) => not_found(),
        },
        ("GET", None) => not_found(),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n".to_vec(),
        ),
    };
    requests
        .lock()
        .map_err(|_| io::Error::other("request log poisoned"))?
        .push(format!("{method} {path} -> {}", &status[..3]));
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(header.as_bytes())?;
    tls.write_all(&body)?;
    tls.flush()?;
    tls.conn.send_close_notify();
    tls.flush()?;
    Ok(())
}

fn not_found() -> (&'static str, &'static str, Vec<u8>) {
    ("404 Not Found", "text/plain", b"not found\n".to_vec())
}

/// Reads up to the blank line that ends a request head.
fn read_head(stream: &mut impl Read) -> io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST_HEAD {
            return Err(io::Error::other("request head too large"));
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The regular file that the URL path `path` names under `root`, if any; `..` and other
/// escapes name nothing.
fn file_under(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.strip_prefix('/')?);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = root.join(relative);
    file.is_file().then_some(file)
}

/// The content type a static host sends for `file`, from its extension.
fn content_type_of(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}
