#!/usr/bin/env python3
"""Writes `scripts/symbol-order.txt`: the functions of the provider that a `terraform plan`
runs, for the linker to place next to each other (build.rs passes the list to LLD as
`--symbol-ordering-file` in x86_64 Linux release builds).

A provider process lives a few milliseconds and touches code all over a 7 MB text section;
each first touch of a 64 KB window is a page fault. With the functions it runs packed together
it faults in a fifth of the windows. The list comes from running every provider process of a
`terraform plan -refresh=false` of 100 repositories under valgrind's callgrind, which records
every function executed (not a sample), hottest first. Regenerate it after changes that move
much code (a new dependency version, a new resource) and whenever the provider's own
dependencies change (Cargo then gives the crate a new metadata hash, which renames every one
of its symbols), and commit it; names the build no longer has are skipped by the linker, so a
stale list costs speed, never correctness.

    scripts/symbol-order.py [--provider PATH]

The provider must be the release build with its symbols kept, whose names are the stripped
build's (a build with another profile setting, such as Cargo's `strip`, has other names):
    TODO_KEEP_SYMBOLS=1 CARGO_TARGET_DIR=target/prof cargo build --release
"""

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lib import recorded_plans  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "scripts" / "symbol-order.txt"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--provider", default=str(ROOT / "target" / "prof" / "release" / "terraform-provider-todo")
    )
    parser.add_argument("--resources", type=int, default=100)
    return parser.parse_args()


def functions(profile, binary_name):
    """(function name -> self cost) of the binary's functions in one callgrind output."""
    costs = collections.Counter()
    in_binary, function = False, None
    for line in profile.read_text(errors="replace").splitlines():
        if line.startswith("ob="):
            in_binary = line[3:].strip().endswith(binary_name)
        elif line.startswith("fn="):
            function = line[3:].strip() if in_binary else None
            if function:
                costs[function] += 0
        elif line.startswith(("cob=", "cfi=", "cfl=", "cfn=", "calls=", "fi=", "fe=", "fl=")):
            continue
        elif function and line[:1].isdigit():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                costs[function] += int(parts[1])
    return costs


def main():
    args = parse_args()
    provider = Path(args.provider).resolve()
    with recorded_plans(
        ROOT,
        provider,
        "valgrind",
        "valgrind -q --tool=callgrind --dump-instr=no --compress-strings=no "
        '--compress-pos=no --demangle=no --callgrind-out-file="{data}/cg.%p"',
        resources=args.resources,
        runs=1,
        name="symbol-order",
    ) as profiles:
        processes = collections.Counter()
        cost = collections.Counter()
        for profile in sorted(profiles.iterdir()):
            for name, self_cost in functions(profile, provider.name).items():
                processes[name] += 1
                cost[name] += self_cost
    if len(processes) < 100:
        sys.exit(f"only {len(processes)} functions recorded: did the provider run under valgrind?")
    # Code every process runs first, then by cost: the start-up path and the calls' hot path
    # share the first pages.
    names = sorted(processes, key=lambda name: (-processes[name], -cost[name], name))
    # Unnamed code (valgrind shows its address) cannot be ordered by name.
    names = [name for name in names if not name.startswith(("(", "0x"))]
    OUTPUT.write_text("\n".join(names) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(names)} functions")


if __name__ == "__main__":
    main()
