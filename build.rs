//! Compiles the protocol definitions in `proto/` with protox (a pure-Rust protobuf compiler, so
//! no system `protoc` is needed) and generates the tonic server stubs. The well-known types the
//! protocols import (`google.protobuf.Timestamp` and `Empty`) come with protox and are
//! generated here too, so no `prost-types` dependency is needed. On Linux it also links the
//! executable without position independence, release builds leave the symbol table out (unless
//! `TODO_KEEP_SYMBOLS` is set), and x86_64 Linux release builds fold identical functions, order
//! the functions a plan runs and link GCC's unwinder statically (see `main`).
//!
//! Also sets `TODO_PROVIDER_VERSION`, the version `--version` prints: `Cargo.toml`'s, with
//! `+dirty` build metadata on a release build from a git work tree whose sources (see
//! [`SOURCES`]) differ from the checked-out commit. Dev builds skip the git check, so that
//! commits and `git add` do not rebuild the crate.

use std::path::Path;
use std::process::Command;

/// What a build is made of: a change here makes a release build `+dirty`.
const SOURCES: [&str; 5] = ["src", "proto", "build.rs", "Cargo.toml", "Cargo.lock"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tfplugin6.proto",
        "proto/plugin.proto",
        "proto/grpc_stdio.proto",
        "proto/health.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    // On Linux the executable is linked at a fixed address (not position-independent), as Go
    // links Terraform's providers: the loader then has no relocations to apply at each start
    // (26,000 of them, 630 KB of the binary), which was a tenth of the provider's start-up
    // CPU. Address randomisation still applies to the stack, the heap and shared libraries.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    // Release builds on x86_64 Linux, where rustc links with its own LLD: identical functions
    // (the same machine code under several names, mostly from generics) are folded into one,
    // 60 KB of the 10 MB the binary may weigh (Rust promises nothing about function addresses,
    // and aws-lc compares data, never function, pointers); the functions a plan runs are
    // placed together; GCC's unwinder is linked in (docs/PERFORMANCE.md has the figures).
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let x86_64_linux = std::env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu");
    if x86_64_linux && release {
        println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
        order_functions();
        link_unwinder_statically();
    }
    if release {
        strip_symbols();
    }
    emit_version();
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_transport(false)
        .compile_well_known_types(true)
        .compile_fds(descriptors)?;
    Ok(())
}

/// Leaves the symbols out of a release executable at link time (Cargo.toml's `strip = false`
/// says why the linker does it): `--strip-all` for ELF linkers, the flag rustc's own
/// `strip = true` passes; `-x -S` (no local symbols, no debugging symbols; the few external
/// ones such as `_main` stay) for Apple's. `TODO_KEEP_SYMBOLS=1` keeps them, for profiling a
/// build whose code and names are those of the stripped one.
fn strip_symbols() {
    println!("cargo:rerun-if-env-changed=TODO_KEEP_SYMBOLS");
    if std::env::var_os("TODO_KEEP_SYMBOLS").is_some_and(|keep| !keep.is_empty()) {
        return;
    }
    if std::env::var("CARGO_CFG_TARGET_VENDOR").as_deref() == Ok("apple") {
        println!("cargo:rustc-link-arg-bins=-Wl,-x");
        println!("cargo:rustc-link-arg-bins=-Wl,-S");
    } else if std::env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("unix") {
        println!("cargo:rustc-link-arg-bins=-Wl,--strip-all");
    }
}

/// Places the functions a plan runs (`scripts/symbol-order.txt`, written by
/// `scripts/symbol-order.py`) next to each other at the start of the code, so that a provider
/// process faults in about a fifth of the pages it otherwise touches, each page fault mapping
/// code it will run. Names missing from the build (the list is older than the code) are
/// skipped: a stale list costs speed, never correctness.
fn order_functions() {
    let list = Path::new("scripts/symbol-order.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    if let Ok(path) = std::fs::canonicalize(list) {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            path.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// Links GCC's unwinder (`libgcc_eh.a`, which Rust's panics unwind with) into the executable,
/// so that the loader no longer maps, relocates and initialises `libgcc_s.so` at every start
/// (its constructor alone queries the CPU features, which a virtual machine traps). Listed
/// before the standard library's `-lgcc_s`, the archive satisfies the unwinder's symbols and
/// `--as-needed` leaves the shared library out. Without the archive (no GCC), nothing changes.
fn link_unwinder_statically() {
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let found = Command::new(compiler)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|path| std::path::PathBuf::from(path.trim()));
    if let Some(dir) = found
        .filter(|path| path.is_absolute() && path.is_file())
        .and_then(|path| path.parent().map(Path::to_path_buf))
    {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}

/// Sets `TODO_PROVIDER_VERSION` for the crate: the package version, `+dirty` on a release build
/// from changed sources.
fn emit_version() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let dirty = release && sources_changed();
    let metadata = if dirty { "+dirty" } else { "" };
    println!("cargo:rustc-env=TODO_PROVIDER_VERSION={version}{metadata}");
}

/// True when git reports changes (staged, unstaged or untracked) to [`SOURCES`]; false outside
/// a git work tree or without git. Asks Cargo to run the build script again when the sources
/// or the checked-out commit change.
fn sources_changed() -> bool {
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    for git_file in ["HEAD", "index"] {
        if let Some(path) = git_path(git_file) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Some(branch) = git(&["rev-parse", "--symbolic-full-name", "HEAD"])
        .filter(|b| b.starts_with("refs/"))
        .and_then(|b| git_path(&b))
    {
        println!("cargo:rerun-if-changed={branch}");
    }
    let mut status = vec![
        "--no-optional-locks",
        "status",
        "--porcelain",
        "--untracked-files=all",
        "--",
    ];
    status.extend(SOURCES);
    git(&status).is_some_and(|changes| !changes.is_empty())
}

/// The path of `name` inside the git directory (worktrees included), if git knows it.
fn git_path(name: &str) -> Option<String> {
    let path = git(&["rev-parse", "--path-format=absolute", "--git-path", name])?;
    Path::new(&path).exists().then_some(path)
}

/// The trimmed standard output of `git <args>` in the crate's folder, if it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
