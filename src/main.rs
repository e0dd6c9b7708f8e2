//! terraform-provider-todo: a Terraform provider for ECR repositories and ECS Fargate services.
//! This file only reads the command line, starts the async runtime and the plugin server, and
//! turns the result into an exit code.

use std::process::ExitCode;
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

fn main() -> ExitCode {
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--version" | "-version" | "version" => {
                println!("terraform-provider-todo v{VERSION}");
                return ExitCode::SUCCESS;
            }
            "--debug" | "-debug" => debug = true,
            "--help" | "-h" | "-help" => {
                println!(
                    "terraform-provider-todo v{VERSION}\n\nA Terraform plugin: Terraform starts it.\n\n  \
                     --version  print the version\n  --debug    serve in reattach mode for a debugger"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("terraform-provider-todo: unknown argument {other:?} (try --help)");
                return ExitCode::from(2);
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
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions {
        debug,
        provider_address: PROVIDER_ADDRESS.to_owned(),
    };
    let provider = Arc::new(TodoProvider::new());
    let result = runtime.block_on(handshake::serve(provider, options));
    // The socket folder is gone by now; tasks still running (a blocking DNS lookup, say) get a
    // moment to finish, and cannot hold the exit up longer.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_TIMEOUT);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ ServeError::NotLaunchedByTerraform) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("terraform-provider-todo: {error}");
            ExitCode::FAILURE
        }
    }
}
