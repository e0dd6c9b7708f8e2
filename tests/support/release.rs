//! Release artifacts for the release tests: the project's own `scripts/release.sh` and
//! `scripts/registry-site.py` run on the dev-profile binary Cargo built for the tests (so that
//! `make test` does not pay for a release build), signed with a throwaway GPG key.
//!
//! - [`GpgHome`]: a temporary `GNUPGHOME` with a fresh RSA 2048 signing key (the key type the
//!   Terraform Registry accepts), its agent stopped on drop.
//! - [`Dist`]: a temporary `dist/` filled by `scripts/release.sh package` and `sign`, with the
//!   names the Registry's publishing rules ask for.
//! - [`h1_hash_of_package`], [`zh_hashes_of_sums`] and [`lock_hashes`]: the hashes Terraform
//!   should record, worked out here independently, and the hashes it did record.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::process;

/// The provider's binary name, which artifact names start with.
pub const NAME: &str = "terraform-provider-todo";
/// The version the artifacts carry: `Cargo.toml`'s, unchanged.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The limit for one script or gpg run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// This machine's Terraform platform, e.g. `linux_amd64`.
pub fn host_platform() -> String {
    let os = std::env::consts::OS;
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}_{arch}")
}

/// Runs `cmd` with no input, for at most [`COMMAND_TIMEOUT`] (then kills it and panics), and
/// returns its output whatever the exit status.
pub fn run_bounded(cmd: &mut Command) -> Output {
    let (output, timed_out) = process::run_captured(cmd, Stdio::null(), COMMAND_TIMEOUT);
    if timed_out {
        panic!("{cmd:?} ran longer than {COMMAND_TIMEOUT:?} and was killed");
    }
    output
}

/// [`run_bounded`], panicking with the output unless the command exits 0.
pub fn run_ok(cmd: &mut Command) -> Output {
    let described = format!("{cmd:?}");
    let out = run_bounded(cmd);
    assert!(
        out.status.success(),
        "{described} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A temporary GnuPG home with one throwaway signing key; the gpg-agent that gpg starts for it
/// is stopped on drop.
pub struct GpgHome {
    dir: tempfile::TempDir,
    fingerprint: String,
}

impl GpgHome {
    /// A new home with a fresh RSA 2048 key (no passphrase, no expiry) for `user_id`.
    pub fn with_new_key(user_id: &str) -> GpgHome {
        let found = Command::new("gpg")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            found.is_ok_and(|s| s.success()),
            "gpg (GnuPG) is not installed: the release tests sign with it. Install it \
             (apt-get install gnupg, dnf install gnupg2, brew install gnupg); make tools says so too"
        );
        // Short path: the agent's socket lives in it.
        let dir = tempfile::Builder::new()
            .prefix("todo-gpg-")
            .tempdir_in("/tmp")
            .expect("create GNUPGHOME");
        let mut home = GpgHome {
            dir,
            fingerprint: String::new(),
        };
        home.fingerprint = home.new_key(user_id);
        home
    }

    /// Adds another fresh key to this home and returns its fingerprint.
    pub fn new_key(&self, user_id: &str) -> String {
        let before = self.fingerprints();
        run_ok(self.gpg().args([
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            user_id,
            "rsa2048",
            "sign",
            "never",
        ]));
        self.fingerprints()
            .into_iter()
            .find(|f| !before.contains(f))
            .expect("the new key's fingerprint")
    }

    /// The fingerprint of the key made first, for `GPG_FINGERPRINT`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The folder, for `GNUPGHOME`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `gpg --batch` in this home.
    pub fn gpg(&self) -> Command {
        let mut cmd = Command::new("gpg");
        cmd.env("GNUPGHOME", self.path()).arg("--batch");
        cmd
    }

    /// Writes the ASCII-armored public key of `fingerprint` to `file`.
    pub fn export_public_key(&self, fingerprint: &str, file: &Path) {
        let out = run_ok(self.gpg().args(["--armor", "--export", fingerprint]));
        assert!(!out.stdout.is_empty(), "gpg exported no key {fingerprint}");
        fs::write(file, out.stdout).expect("write the public key");
    }

    fn fingerprints(&self) -> Vec<String> {
        let out = run_ok(self.gpg().args(["--with-colons", "--list-secret-keys"]));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("fpr:"))
            .filter_map(|l| l.split(':').nth(9).map(str::to_owned))
            .collect()
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.path())
            .args(["--kill", "gpg-agent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A temporary `dist/` written by `scripts/release.sh`.
pub struct Dist {
    dir: tempfile::TempDir,
}

impl Dist {
    /// An empty `dist/`.
    pub fn new() -> Dist {
        Dist {
            dir: tempfile::Builder::new()
                .prefix("todo-dist-")
                .tempdir()
                .expect("create dist"),
        }
    }

    /// `scripts/release.sh <args>` with `DIST` set to this folder, `GNUPGHOME` and
    /// `GPG_FINGERPRINT` from `gpg` (or neither), and nothing from the caller's environment
    /// that would change the result.
    pub fn release_script(&self, gpg: Option<&GpgHome>, args: &[&str]) -> Output {
        let mut cmd = Command::new(super::repo_root().join("scripts/release.sh"));
        cmd.args(args)
            .env("DIST", self.path())
            .env_remove("VERSION")
            .env_remove("OS_ARCH")
            .env_remove("GPG_FINGERPRINT")
            .env_remove("GNUPGHOME");
        if let Some(gpg) = gpg {
            cmd.env("GNUPGHOME", gpg.path())
                .env("GPG_FINGERPRINT", gpg.fingerprint());
        }
        run_bounded(&mut cmd)
    }

    /// Packages `binary` for this machine and signs the release: the four kinds of file.
    pub fn package_and_sign(&self, binary: &str, gpg: &GpgHome) {
        for args in [&["package", binary][..], &["sign"][..]] {
            let out = self.release_script(Some(gpg), args);
            assert!(
                out.status.success(),
                "scripts/release.sh {args:?} failed\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `terraform-provider-todo_<version>_<os>_<arch>.zip` for this machine.
    pub fn zip(&self) -> PathBuf {
        self.path()
            .join(format!("{NAME}_{VERSION}_{}.zip", host_platform()))
    }

    /// `terraform-provider-todo_<version>_SHA256SUMS`.
    pub fn sums(&self) -> PathBuf {
        self.path().join(format!("{NAME}_{VERSION}_SHA256SUMS"))
    }

    /// `terraform-provider-todo_<version>_SHA256SUMS.sig`.
    pub fn signature(&self) -> PathBuf {
        self.path().join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"))
    }

    /// `terraform-provider-todo_<version>_manifest.json`.
    pub fn manifest(&self) -> PathBuf {
        self.path().join(format!("{NAME}_{VERSION}_manifest.json"))
    }

    /// The names of the files in the folder, sorted.
    pub fn file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.path())
            .expect("read dist")
            .map(|e| {
                e.expect("dist entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

/// `scripts/registry-site.py`: the static registry site for `dist` in `out`, with the public
/// key in `public_key`.
pub fn generate_registry_site(dist: &Path, out: &Path, public_key: &Path) {
    run_ok(
        Command::new("python3")
            .arg(super::repo_root().join("scripts/registry-site.py"))
            .arg("--dist")
            .arg(dist)
            .arg("--out")
            .arg(out)
            .arg("--public-key")
            .arg(public_key),
    );
}

/// The `h1:` hash Terraform computes for a package holding one file, `name`, with `contents`:
/// Go's dirhash "Hash1", the SHA-256 of the lines `<sha256 hex>  <name>\n` (one per file,
/// sorted), base64-encoded.
pub fn h1_hash_of_package(name: &str, contents: &[u8]) -> String {
    let summary = format!("{}  {name}\n", hex(&Sha256::digest(contents)));
    let digest = Sha256::digest(summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// One `zh:<sha256 hex>` hash per line of a SHA256SUMS file, in its order.
pub fn zh_hashes_of_sums(sums: &str) -> Vec<String> {
    sums.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|h| format!("zh:{h}"))
        .collect()
}

/// The `hashes` that `.terraform.lock.hcl` in `dir` records for `provider` (its full address,
/// e.g. `registry.terraform.io/todo/todo`), and the `version` it selected. Panics, with the
/// file, if there is no such block.
pub fn lock_hashes(dir: &Path, provider: &str) -> (String, Vec<String>) {
    let path = dir.join(".terraform.lock.hcl");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let start = text
        .find(&format!("provider \"{provider}\" {{"))
        .unwrap_or_else(|| panic!("no block for {provider} in the lock file:\n{text}"));
    let block = &text[start..];
    let block = &block[..block.find("\n}").unwrap_or(block.len())];
    let version = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("version"))
        .and_then(|rest| rest.split('"').nth(1))
        .unwrap_or_else(|| panic!("no version in the lock file's block:\n{block}"))
        .to_owned();
    let list = block
        .split_once("hashes = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .unwrap_or_else(|| panic!("no hashes in the lock file's block:\n{block}"));
    let hashes = list
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    (version, hashes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
