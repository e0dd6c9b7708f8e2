#!/usr/bin/env python3
"""Where the provider's CPU goes during `terraform plan -refresh=false` of 100 repositories.

Runs the plan a few times with every provider process Terraform starts wrapped in
`perf record -e cpu-clock --call-graph dwarf` (hardware counters are not needed), then sorts each
sample into the phase of the provider's life it belongs to (the dynamic loader, the TLS
handshake, the gRPC transport, each handler, ...) and prints the shares, per process kind and in
all. `perf` comes from the distribution (`linux-perf` on Debian). It is a tool for looking, not
a test: `docs/PERFORMANCE.md` records what it showed and what was changed.

    scripts/profile.py [--provider target/release/terraform-provider-todo] [--runs 3]
    scripts/profile.py --instructions [--provider PATH]   (callgrind's instruction counts)

The release build with its symbols kept profiles best (the same code and names as
`make release-binary`; build.rs reads TODO_KEEP_SYMBOLS):
    TODO_KEEP_SYMBOLS=1 CARGO_TARGET_DIR=target/prof cargo build --release
"""

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lib import recorded_plans  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# The first matching rule names a sample's phase: an ordered list, most specific first.
PHASES = [
    ("dynamic loader (before main)", ("_dl_start",)),
    ("exec", ("load_elf_binary", "bprm_execve")),
    ("server key and certificate", ("plugin::tls::server_config",)),
    ("TLS: Terraform's P-521 signature", ("verify_tls13_signature",)),
    ("TLS: rest of the handshake", ("tokio_rustls::server::Accept",)),
    ("schemas", ("::schema", "value_type")),
    ("private socket", ("private_socket",)),
    ("ConfigureProvider", ("configure_provider",)),
    ("PlanResourceChange handler", ("handlers::plan_resource_change",)),
    ("ValidateResourceConfig handler", ("handlers::validate_resource_config",)),
    ("other handlers", ("server::handlers",)),
    ("gRPC transport (h2, TLS records, tonic)", ("h2::", "hyper", "tonic", "rustls")),
    ("runtime and signal set-up", ("runtime::builder", "signal_hook", "tokio::signal")),
    ("event loop, waking, scheduling", ("Driver::turn", "tokio::runtime")),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--provider", default=str(ROOT / "target" / "release" / "terraform-provider-todo")
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count the instructions each provider process runs, under valgrind's callgrind, "
        "instead of sampling its CPU: a count, within about 1 %% from run to run (how "
        "Terraform batches its calls varies), of user space only (system calls and page "
        "faults are not in it), for changes smaller than the machine's drift",
    )
    return parser.parse_args()


def count_instructions(provider, resources):
    """Prints the instructions each provider process of one plan ran, and their sum."""
    with recorded_plans(
        ROOT,
        provider,
        "valgrind",
        'valgrind -q --tool=callgrind --callgrind-out-file="{data}/cg.%p"',
        resources=resources,
        runs=1,
        name="instructions",
    ) as data:
        counts = []
        for output in sorted(data.iterdir(), key=lambda p: int(p.suffix[1:])):
            for line in output.read_text(errors="replace").splitlines():
                if line.startswith(("summary:", "totals:")):
                    counts.append(int(line.split()[1]))
                    break
    if not counts:
        sys.exit("no callgrind output: did the provider run under valgrind?")
    for index, count in enumerate(counts, 1):
        print(f"process {index} (start order): {count / 1e6:7.2f} M instructions")
    print(f"all {len(counts)}: {sum(counts) / 1e6:7.2f} M instructions")


def stacks(script_text):
    """(pid, [frame, ...] leaf first) for each sample of `perf script` output."""
    pid, frames = None, []
    for line in script_text.splitlines():
        if not line.strip():
            if frames:
                yield pid, frames
            frames = []
        elif line[0] in " \t":
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                frames.append(re.sub(r"\+0x[0-9a-f]+|::h[0-9a-f]{16}", "", parts[1]))
        else:
            fields = line.split()
            pid = fields[1] if len(fields) > 1 else None
    if frames:
        yield pid, frames


def phase(frames):
    for name, markers in PHASES:
        if any(marker in frame for frame in frames for marker in markers):
            return name
    return "other (kernel work outside these: page faults, exit, ...)"


def main():
    args = parse_args()
    provider = Path(args.provider).resolve()
    if args.instructions:
        count_instructions(provider, args.resources)
        return
    with recorded_plans(
        ROOT,
        provider,
        "perf",
        "perf record -q -e cpu-clock -F 20000 --call-graph dwarf,16384 "
        '-o "{data}/p.$$" --',
        resources=args.resources,
        runs=args.runs,
        name="profile",
    ) as data:
        by_pid = collections.defaultdict(collections.Counter)
        for recording in sorted(data.iterdir()):
            out = subprocess.run(
                ["perf", "script", "-i", str(recording)], capture_output=True, text=True
            ).stdout
            for pid, frames in stacks(out):
                by_pid[pid][phase(frames)] += 1
    processes = sorted(by_pid.values(), key=lambda c: sum(c.values()))
    total = collections.Counter()
    for counts in processes:
        total.update(counts)
    samples = sum(total.values())
    if not samples:
        sys.exit("no samples: is perf allowed here (kernel.perf_event_paranoid)?")
    print(f"{len(processes)} provider processes, {samples} samples of cpu-clock")
    for name, count in total.most_common():
        print(f"{100 * count / samples:5.1f}%  {name}")


if __name__ == "__main__":
    main()
