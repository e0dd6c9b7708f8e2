//! Releases as users install them: the artifacts `scripts/release.sh` writes (here from the
//! dev-profile binary, signed with a throwaway GPG key) installed by the real `terraform init`
//! without `dev_overrides`, from a packed filesystem mirror and from a private registry served
//! over HTTPS on loopback, each followed by a plan through the installed provider.
//!
//! Acceptance tests: `#[ignore]`d and gated by `TF_ACC=1` (`make test` runs them); they need
//! `make tools` (terraform), `gpg` and `python3`.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::release::{
    Dist, GpgHome, NAME, VERSION, generate_registry_site, h1_hash_of_package, host_platform,
    lock_hashes, run_bounded, run_ok, zh_hashes_of_sums,
};
use support::terraform::combined_output;
use support::{PROVIDER, Terraform, https_site::HttpsSite};

/// An endpoint nothing listens on: the configurations below make no AWS call.
const NO_AWS: &str = "http://127.0.0.1:9";
/// What the plan's output evaluates to through the installed provider's function.
const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1";

/// A configuration requiring the provider from `source` at this version (`~> <major.minor>.0`)
/// and using it through a provider function, so that `plan` runs the installed binary without
/// any AWS call.
fn configuration(source: &str) -> String {
    let minor = VERSION.rsplit_once('.').map_or(VERSION, |(head, _)| head);
    format!(
        "terraform {{\n  required_providers {{\n    todo = {{\n      source  = \"{source}\"\n      \
         version = \"~> {minor}.0\"\n    }}\n  }}\n}}\n\n\
         output \"image\" {{\n  value = provider::todo::image_uri(\
         \"123456789012.dkr.ecr.us-east-1.amazonaws.com/app\", \"v1\")\n}}\n"
    )
}

/// A working directory whose CLI configuration is `cli_config` (no `dev_overrides`).
fn working_dir(cli_config: &str, source: &str) -> Terraform {
    let tf = Terraform::with_endpoint(NO_AWS, PROVIDER);
    tf.write(".terraformrc", cli_config);
    tf.write("main.tf", &configuration(source));
    tf
}

/// Plans, and checks that the installed provider answered (the function's value) and that no
/// development override was in play.
fn assert_plan_through_installed_provider(tf: &Terraform) {
    let out = tf.run_ok(&["plan", "-input=false", "-no-color"]);
    let text = combined_output(&out);
    assert!(
        text.contains(&format!("image = \"{IMAGE}\"")),
        "the plan did not show the function's value:\n{text}"
    );
    assert!(
        !text.contains("Provider development overrides"),
        "a dev override was in effect:\n{text}"
    );
}

/// The h1: hash of the package `dist` holds for this machine: the dev binary under its
/// release name.
fn expected_h1() -> String {
    let binary = fs::read(PROVIDER).expect("read the provider binary");
    h1_hash_of_package(&format!("{NAME}_v{VERSION}"), &binary)
}

fn hcl_path(path: &Path) -> String {
    path.to_string_lossy()
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1, gpg and python3 (make test)"]
fn release_script_writes_the_registry_artifacts_signed_and_summed() {
    support::require_acc();
    let gpg = GpgHome::with_new_key("todo release test <release-test@example.invalid>");
    let dist = Dist::new();
    dist.package_and_sign(PROVIDER, &gpg);

    let zip = format!("{NAME}_{VERSION}_{}.zip", host_platform());
    let sums = format!("{NAME}_{VERSION}_SHA256SUMS");
    let mut expected = vec![
        zip.clone(),
        sums.clone(),
        format!("{sums}.sig"),
        format!("{NAME}_{VERSION}_manifest.json"),
    ];
    expected.sort();
    assert_eq!(dist.file_names(), expected);

    // The checksums cover the zip and the manifest, and check out.
    let sums_text = fs::read_to_string(dist.sums()).expect("read SHA256SUMS");
    let listed: Vec<&str> = sums_text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        listed,
        [zip.as_str(), &format!("{NAME}_{VERSION}_manifest.json")]
    );
    run_ok(
        Command::new("sha256sum")
            .args(["-c", "--strict", &sums])
            .current_dir(dist.path()),
    );
    // The signature is a detached binary signature by the key, over SHA256SUMS.
    let verify = run_ok(
        gpg.gpg()
            .arg("--verify")
            .arg(dist.signature())
            .arg(dist.sums()),
    );
    let verify_text = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify_text.contains("Good signature") && verify_text.contains(gpg.fingerprint()),
        "gpg --verify did not report a good signature by {}:\n{verify_text}",
        gpg.fingerprint()
    );
    // Tampered checksums no longer verify.
    fs::write(dist.sums(), sums_text.replacen('0', "1", 1)).expect("tamper SHA256SUMS");
    let tampered = run_bounded(
        gpg.gpg()
            .arg("--verify")
            .arg(dist.signature())
            .arg(dist.sums()),
    );
    assert!(
        !tampered.status.success(),
        "gpg verified tampered checksums"
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dist.manifest()).expect("read the manifest"))
            .expect("the manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    // The zip holds exactly the binary, executable, under its versioned name.
    let listing = run_ok(Command::new("python3").args([
        "-c",
        "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist():\n    \
         print(i.filename, oct(i.external_attr >> 16 & 0o777), i.file_size)",
        &dist.zip().to_string_lossy(),
    ]));
    let binary_len = fs::metadata(PROVIDER).expect("binary metadata").len();
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        format!("{NAME}_v{VERSION} 0o755 {binary_len}")
    );
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1, gpg and python3 (make test)"]
fn release_stops_with_a_clear_message_without_a_signing_key() {
    support::require_acc();
    let dist = Dist::new();
    let packaged = dist.release_script(None, &["package", PROVIDER]);
    assert!(packaged.status.success(), "packaging needs no key");
    let out = dist.release_script(None, &["sign"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "sign succeeded without a key");
    assert!(
        stderr.contains("GPG_FINGERPRINT is not set"),
        "no clear message:\n{stderr}"
    );
    assert!(!dist.sums().exists() && !dist.signature().exists());

    // `make release` checks before it builds: with a cargo that fails at once, the only
    // failure can be the check's.
    let make = run_bounded(
        Command::new("make")
            .args(["--no-print-directory", "release", "CARGO=false"])
            .current_dir(support::repo_root())
            .env_remove("GPG_FINGERPRINT")
            .env_remove("MAKEFLAGS")
            .env("DIST", dist.path()),
    );
    let make_text = combined_output(&make);
    assert!(
        !make.status.success(),
        "make release succeeded without a key"
    );
    assert!(
        make_text.contains("GPG_FINGERPRINT is not set") && !make_text.contains("false build"),
        "make release did not stop at the key check:\n{make_text}"
    );
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1 (make test)"]
fn release_workflow_checks_run_here_tag_platform_and_notes() {
    support::require_acc();
    let dist = Dist::new();
    let script = |args: &[&str]| dist.release_script(None, args);
    assert!(
        script(&["check-tag", &format!("v{VERSION}")])
            .status
            .success()
    );
    let wrong_tag = script(&["check-tag", "v0.0.0-not-this"]);
    assert!(
        !wrong_tag.status.success(),
        "a tag of another version passed"
    );
    assert!(
        String::from_utf8_lossy(&wrong_tag.stderr).contains(&format!("expected v{VERSION}")),
        "{}",
        String::from_utf8_lossy(&wrong_tag.stderr)
    );
    assert!(script(&["check-platform"]).status.success());

    // The GitHub release's notes: this version's CHANGELOG.md section, without the next one's.
    let notes = script(&["notes"]);
    assert!(
        notes.status.success(),
        "{}",
        String::from_utf8_lossy(&notes.stderr)
    );
    let notes = String::from_utf8_lossy(&notes.stdout);
    let changelog =
        fs::read_to_string(support::repo_root().join("CHANGELOG.md")).expect("read CHANGELOG.md");
    let heading = changelog
        .lines()
        .find(|l| l.starts_with(&format!("## {VERSION} (")))
        .expect("CHANGELOG.md has a section for Cargo.toml's version");
    let section = changelog
        .split_once(heading)
        .map(|(_, rest)| rest.split("\n## ").next().unwrap_or(rest))
        .expect("the section");
    assert_eq!(notes.trim(), section.trim());
    assert!(!notes.trim().is_empty() && !notes.contains("\n## "));
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1, python3 and make tools (make test)"]
fn filesystem_mirror_install_records_h1_and_refuses_a_tampered_zip() {
    support::require_acc();
    let dist = Dist::new();
    let out = dist.release_script(None, &["package", PROVIDER]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The packed layout: <mirror>/<hostname>/<namespace>/<type>/<the zip as released>.
    let mirror = tempfile::tempdir().expect("mirror folder");
    let provider_dir = mirror.path().join("registry.terraform.io/todo/todo");
    fs::create_dir_all(&provider_dir).expect("create the mirror layout");
    let zip_name = dist.zip().file_name().expect("zip name").to_owned();
    fs::copy(dist.zip(), provider_dir.join(&zip_name)).expect("copy the zip");

    let cli_config = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    \
         include = [\"registry.terraform.io/todo/todo\"]\n  }}\n}}\n",
        hcl_path(mirror.path())
    );
    let tf = working_dir(&cli_config, "todo/todo");
    let init = tf.init();
    let init_text = combined_output(&init);
    assert!(
        init_text.contains(&format!("Installed todo/todo v{VERSION} (unauthenticated)")),
        "init did not install from the mirror:\n{init_text}"
    );

    let (version, hashes) = lock_hashes(tf.dir(), "registry.terraform.io/todo/todo");
    assert_eq!(version, VERSION);
    // A filesystem mirror has no signed checksums: the lock file records the h1: hash of what
    // it installed, and no zh: hash.
    assert_eq!(hashes, [expected_h1()]);
    let installed = tf.dir().join(format!(
        ".terraform/providers/registry.terraform.io/todo/todo/{VERSION}/{}/{NAME}_v{VERSION}",
        host_platform()
    ));
    assert!(installed.is_file(), "no {}", installed.display());
    assert_plan_through_installed_provider(&tf);

    // The same zip name with other contents: the next init must refuse it against the lock.
    fs::remove_dir_all(tf.dir().join(".terraform")).expect("remove .terraform");
    let mut bytes = fs::read(PROVIDER).expect("read the provider binary");
    bytes.extend_from_slice(b"tampered");
    let tampered_binary = tempfile::tempdir().expect("folder for the tampered binary");
    let tampered_path = tampered_binary.path().join(NAME);
    fs::write(&tampered_path, bytes).expect("write the tampered binary");
    make_executable(&tampered_path);
    let tampered_dist = Dist::new();
    let out = tampered_dist.release_script(None, &["package", &tampered_path.to_string_lossy()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::copy(tampered_dist.zip(), provider_dir.join(&zip_name)).expect("swap in the tampered zip");

    let refused = combined_output(&tf.expect_error("init", &[]));
    assert!(
        refused.contains(
            "doesn't match any of the checksums previously recorded in the dependency lock file"
        ),
        "init did not refuse the tampered zip for its lock-file checksum:\n{refused}"
    );
    assert!(!installed.exists(), "the tampered package was installed");
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1, gpg, python3 and make tools (make test)"]
fn private_registry_install_verifies_the_signature_and_records_zh_hashes() {
    support::require_acc();
    let gpg = GpgHome::with_new_key("todo release test <release-test@example.invalid>");
    let dist = Dist::new();
    dist.package_and_sign(PROVIDER, &gpg);
    let work = tempfile::tempdir().expect("site folder");
    let key_file = work.path().join("signing-key.asc");
    gpg.export_public_key(gpg.fingerprint(), &key_file);
    let site_dir = work.path().join("site");
    generate_registry_site(dist.path(), &site_dir, &key_file);
    let site = HttpsSite::serve(&site_dir);

    let source = format!("{}/todo/todo", site.host());
    let mut tf = working_dir("provider_installation {\n  direct {}\n}\n", &source);
    tf.set_env("SSL_CERT_FILE", Some(&site.ca_file().to_string_lossy()));
    let init_text = combined_output(&tf.init());
    // Terraform checked SHA256SUMS's signature against the registry's key (its long key ID is
    // the fingerprint's last 16 digits) and called the result self-signed, not unauthenticated.
    let key_id = &gpg.fingerprint()[gpg.fingerprint().len() - 16..];
    assert!(
        init_text.contains(&format!(
            "Installed {source} v{VERSION} (self-signed, key ID {key_id})"
        )),
        "init did not install the signed package:\n{init_text}\nrequests: {:#?}",
        site.requests()
    );

    let (version, hashes) = lock_hashes(tf.dir(), &source);
    assert_eq!(version, VERSION);
    let sums = fs::read_to_string(dist.sums()).expect("read SHA256SUMS");
    let mut expected = vec![expected_h1()];
    expected.extend(zh_hashes_of_sums(&sums));
    expected.sort();
    assert_eq!(
        hashes, expected,
        "the lock file's hashes, against SHA256SUMS:\n{sums}"
    );
    assert_eq!(
        hashes.iter().filter(|h| h.starts_with("zh:")).count(),
        sums.lines().count()
    );

    let requests = site.requests();
    for path in [
        "/.well-known/terraform.json".to_owned(),
        "/v1/providers/todo/todo/versions".to_owned(),
        format!(
            "/v1/providers/todo/todo/{VERSION}/download/{}",
            host_platform().replace('_', "/")
        ),
        format!("/v1/providers/todo/todo/{VERSION}/{NAME}_{VERSION}_SHA256SUMS.sig"),
        format!(
            "/v1/providers/todo/todo/{VERSION}/{}",
            dist.zip().file_name().expect("zip name").to_string_lossy()
        ),
    ] {
        assert!(
            requests.contains(&format!("GET {path} -> 200")),
            "Terraform did not fetch {path}; requests: {requests:#?}"
        );
    }
    assert_plan_through_installed_provider(&tf);
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1, gpg, python3 and make tools (make test)"]
fn private_registry_refuses_checksums_signed_by_another_key() {
    support::require_acc();
    let gpg = GpgHome::with_new_key("todo release test <release-test@example.invalid>");
    let other = gpg.new_key("someone else <someone-else@example.invalid>");
    let dist = Dist::new();
    dist.package_and_sign(PROVIDER, &gpg);
    let work = tempfile::tempdir().expect("site folder");
    let key_file = work.path().join("other-key.asc");
    gpg.export_public_key(&other, &key_file);
    let site_dir = work.path().join("site");
    generate_registry_site(dist.path(), &site_dir, &key_file);
    let site = HttpsSite::serve(&site_dir);

    let source = format!("{}/todo/todo", site.host());
    let mut tf = working_dir("provider_installation {\n  direct {}\n}\n", &source);
    tf.set_env("SSL_CERT_FILE", Some(&site.ca_file().to_string_lossy()));
    let refused = combined_output(&tf.expect_error("init", &[]));
    assert!(
        refused.contains("authentication signature from unknown issuer"),
        "init did not refuse checksums signed by a key the registry does not list:\n{refused}"
    );
    assert!(!tf.dir().join(".terraform.lock.hcl").exists());
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod 755");
}
