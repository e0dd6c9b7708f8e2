//! terraform-provider-todo: a Terraform provider for ECR repositories and ECS Fargate services.
//! This file only reads the command line, starts the async runtime and the plugin server, and
//! turns the result into an exit code.
//!
//! It defines the C `main` itself (`no_main`): Terraform starts the provider three times per
//! command, and Rust's own start-up would spend part of every start on what the provider does
//! not need (a stack-overflow handler whose set-up reads `/proc/self/maps`, an alternate signal
//! stack, standard descriptor checks). What the provider does need from it is done here:
//! SIGPIPE is ignored, so that writing to a closed socket is an error, not death. Arguments
//! still come from `std::env::args`, and stdout is flushed where it is written.

#![no_main]

use std::ffi::{c_char, c_int};
use std::sync::Arc;
use std::time::Duration;

use terraform_provider_todo::plugin::handshake::{self, ServeError, ServeOptions};
use terraform_provider_todo::plugin::logging;
use terraform_provider_todo::provider::{PROVIDER_ADDRESS, TodoProvider};

/// The version `--version` prints: Cargo.toml's, with `+dirty` when a release build was made
/// from changed sources (set by build.rs).
const VERSION: &str = env!("TODO_PROVIDER_VERSION");

/// How long the exit waits for tasks still running when the server has stopped.
const RUNTIME_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// The process entry point, called by the C runtime.
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    // SAFETY: signal() with SIG_IGN installs no handler code; nothing else runs yet.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    match run() {
        Outcome::Success => 0,
        Outcome::Failure => 1,
        Outcome::Usage => 2,
    }
}

/// How the process ends.
enum Outcome {
    Success,
    Failure,
    /// An unknown argument.
    Usage,
}

fn run() -> Outcome {
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--version" | "-version" | "version" => {
                println!("terraform-provider-todo v{VERSION}");
                return Outcome::Success;
            }
            "--debug" | "-debug" => debug = true,
            "--help" | "-h" | "-help" => {
                println!(
                    "terraform-provider-todo v{VERSION}\n\nA Terraform plugin: Terraform starts it.\n\n  \
                     --version  print the version\n  --debug    serve in reattach mode for a debugger"
                );
                return Outcome::Success;
            }
            other => {
                eprintln!("terraform-provider-todo: unknown argument {other:?} (try --help)");
                return Outcome::Usage;
            }
        }
    }
    logging::init();
    // One thread: the process lives for one Terraform command and waits on Terraform and AWS
    // far more than it computes; worker threads cost more to start and to hand work between
    // (measured in BENCHMARKS.md) than they could save.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("terraform-provider-todo: cannot start the async runtime: {error}");
            return Outcome::Failure;
        }
    };
    let options = ServeOptions {
        debug,
        provider_address: PROVIDER_ADDRESS.to_owned(),
    };
    let provider = Arc::new(TodoProvider::new());
    let result = runtime.block_on(handshake::serve(provider, options));
    // The socket is gone by now; tasks still running (a blocking DNS lookup, say) get a
    // moment to finish, and cannot hold the exit up longer.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_TIMEOUT);
    match result {
        Ok(()) => Outcome::Success,
        Err(error @ ServeError::NotLaunchedByTerraform) => {
            eprintln!("{error}");
            Outcome::Failure
        }
        Err(error) => {
            eprintln!("terraform-provider-todo: {error}");
            Outcome::Failure
        }
    }
}
