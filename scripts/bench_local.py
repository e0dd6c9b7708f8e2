"""The rows of `make bench` that need no emulator (scripts/bench.py): plan wall time next to
Terraform's `terraform_data` floor, the provider's CPU and peak RSS during a plan, the time from
start to the handshake line, and the stripped binary's size.

Plans run with `-refresh=false` and no state, so no AWS call is made (the AWS endpoint is a
closed port of 127.0.0.1). Every round runs each command once, in an order that alternates
between rounds (ABAB, then BABA), so that machine drift hits both sides alike.
"""

import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_lib import BenchError, Stat, clean_env, tf_vars

PLAN = ["plan", "-refresh=false", "-input=false", "-no-color"]
MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
HANDSHAKE_TIMEOUT = 10.0
# What the wrapper's child may allocate between reading its VmHWM and its exec.
PRE_EXEC_MARGIN_KIB = 256


@dataclass
class ProviderUsage:
    """The provider processes of one plan, as the wrapper recorded them."""

    processes: int
    cpu_s: float
    user_s: float
    sys_s: float
    peak_rss_kib: int
    # The largest resident set a wrapper's child held before it exec'd the provider.
    pre_exec_kib: int
    # Whether every process's peak is above what it held before exec (the wrapper's fork), so
    # that the peak is the provider's own and not the wrapper's.
    peak_is_provider: bool
    # Each process's CPU seconds, in start order (schema, validate, plan for a plan).
    per_process_cpu_s: list = field(default_factory=list)
    # The processes' lifetimes (fork to exit) added up: the time Terraform kept them.
    alive_s: float = 0.0


@dataclass
class LocalResults:
    """Samples of the local rows."""

    wall: dict = field(default_factory=dict)  # row -> [seconds], in round order
    usage: dict = field(default_factory=dict)  # row -> [ProviderUsage]
    # row -> [CPU seconds of Terraform's whole process tree (the providers included)]
    tree_cpu: dict = field(default_factory=dict)
    handshake: list = field(default_factory=list)
    binary_bytes: int = 0
    stripped_bytes: int = 0

    def add_wall(self, row, seconds):
        self.wall.setdefault(row, []).append(seconds)

    def stat(self, row):
        return Stat.of(self.wall[row])

    def terraform_cpu(self, n):
        """(floor, todo): Terraform's own CPU for a plan of `n`, without the provider's: the
        whole process tree of `terraform_data`'s plan, and that of the plan whose provider
        processes the wrapper measured, less those processes (the wrapper's own exec is left
        on Terraform's side)."""
        floor = Stat.of(self.tree_cpu[f"data/{n}"])
        todo = Stat.of(
            tree - usage.cpu_s
            for tree, usage in zip(
                self.tree_cpu[f"usage/{n}"], self.usage[f"usage/{n}"], strict=True
            )
        )
        return floor, todo

    def ratio(self, row, floor):
        """(median ratio, min and max of the per-round ratios) of `row` to `floor`."""
        pairs = [a / b for a, b in zip(self.wall[row], self.wall[floor], strict=True)]
        return self.stat(row).median / self.stat(floor).median, Stat.of(pairs)


class LocalBench:
    """Runs the local rows."""

    def __init__(self, root, scratch, tf, rc, provider, runs):
        self.root = Path(root)
        self.scratch = Path(scratch)
        self.tf = tf
        self.rc = rc
        self.provider = Path(provider)
        self.runs = runs
        self.results = LocalResults()
        fixtures = self.root / "benches"
        self.data_dir = tf.workdir("plan-terraform_data", fixtures / "terraform_data")
        self.repo_dir = tf.workdir("plan-ecr_repository", fixtures / "ecr_repository")
        wrapped = self.scratch / "wrapped"
        wrapped.mkdir(parents=True, exist_ok=True)
        wrapper = wrapped / "terraform-provider-todo"
        # A native wrapper: what a wrapper does between fork and exec is charged to the
        # provider (see benches/rusage_wrapper.c).
        source = self.root / "benches" / "rusage_wrapper.c"
        compiler = os.environ.get("CC", "cc")
        try:
            subprocess.run(
                [compiler, "-O2", "-o", str(wrapper), str(source)],
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", "") or error
            raise BenchError(f"cannot compile {source} with {compiler}: {detail}") from error
        self.wrapped_rc = tf.write_rc("terraformrc-wrapped", wrapped)

    def _commands(self):
        """Each row: (name, working dir, args, CLI configuration)."""
        plan = lambda n: [*PLAN, *tf_vars({"n": n})]  # noqa: E731
        return {
            "version": (self.data_dir, ["version"], self.rc),
            "data/1": (self.data_dir, plan(1), self.rc),
            "todo/1": (self.repo_dir, plan(1), self.rc),
            "data/100": (self.data_dir, plan(100), self.rc),
            "todo/100": (self.repo_dir, plan(100), self.rc),
            "usage/1": (self.repo_dir, plan(1), self.wrapped_rc),
            "usage/100": (self.repo_dir, plan(100), self.wrapped_rc),
        }

    def _run_row(self, name, command, record=True):
        workdir, args, rc = command
        extra = None
        log = None
        if name.startswith("usage/"):
            log = self.scratch / "rusage.jsonl"
            log.unlink(missing_ok=True)
            extra = {"BENCH_PROVIDER_BINARY": str(self.provider), "BENCH_RUSAGE_LOG": str(log)}
        run = self.tf.run(workdir, args, rc=rc, extra_env=extra, timeout=120.0)
        if record and (name.startswith("data/") or log is not None):
            self.results.tree_cpu.setdefault(name, []).append(run.cpu_s)
        if log is not None:
            usage = self._usage(log)
            if record:
                self.results.usage.setdefault(name, []).append(usage)
        elif record:
            self.results.add_wall(name, run.seconds)

    @staticmethod
    def _usage(log):
        try:
            records = [json.loads(line) for line in log.read_text().splitlines() if line]
        except (OSError, json.JSONDecodeError) as error:
            raise BenchError(f"the provider wrapper left no usable record: {error}") from error
        if not records:
            raise BenchError("no provider process ran under the wrapper")
        user = sum(r["user_s"] for r in records)
        system = sum(r["sys_s"] for r in records)
        return ProviderUsage(
            processes=len(records),
            cpu_s=user + system,
            user_s=user,
            sys_s=system,
            peak_rss_kib=max(r["maxrss_kib"] for r in records),
            pre_exec_kib=max(r["pre_exec_kib"] for r in records),
            peak_is_provider=all(
                r["maxrss_kib"] > r["pre_exec_kib"] + PRE_EXEC_MARGIN_KIB for r in records
            ),
            per_process_cpu_s=[r["user_s"] + r["sys_s"] for r in records],
            alive_s=sum(r["wall_s"] for r in records),
        )

    def plan_rounds(self, progress):
        """One warm-up run per row (not counted), then `runs` rounds in alternating order."""
        commands = self._commands()
        for name, command in commands.items():
            self._run_row(name, command, record=False)
        pairs = [("data/1", "todo/1"), ("data/100", "todo/100"), ("usage/1", "usage/100")]
        for index in range(self.runs):
            order = ["version"]
            for a, b in pairs:
                order += [a, b] if index % 2 == 0 else [b, a]
            for name in order:
                self._run_row(name, commands[name])
            progress(f"plan round {index + 1}/{self.runs}")

    def handshake_rounds(self, runs):
        """Starts the provider as go-plugin does, with a client certificate, and times the
        first stdout line (the handshake); `runs` times, plus one warm-up."""
        cert = self._client_cert()
        env = clean_env(
            {
                "TF_PLUGIN_MAGIC_COOKIE": MAGIC_COOKIE,
                "PLUGIN_PROTOCOL_VERSIONS": "6",
                "PLUGIN_CLIENT_CERT": cert,
                "PLUGIN_MIN_PORT": "10000",
                "PLUGIN_MAX_PORT": "25000",
            }
        )
        for index in range(runs + 1):
            seconds, line = self._handshake_once(env)
            fields = line.split("|")
            if len(fields) < 6 or fields[:2] != ["1", "6"] or not fields[5]:
                raise BenchError(f"not a go-plugin handshake line with a certificate: {line!r}")
            if index > 0:
                self.results.handshake.append(seconds)

    def _handshake_once(self, env):
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(self.provider)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            buffer = b""
            deadline = started + HANDSHAKE_TIMEOUT
            while b"\n" not in buffer:
                left = deadline - time.perf_counter()
                ready, _, _ = select.select([child.stdout], [], [], max(left, 0))
                if not ready:
                    raise BenchError(f"no handshake line within {HANDSHAKE_TIMEOUT} s")
                chunk = os.read(child.stdout.fileno(), 4096)
                if not chunk:
                    raise BenchError(f"the provider exited before its handshake: {buffer!r}")
                buffer += chunk
            seconds = time.perf_counter() - started
        finally:
            child.kill()
            child.wait(timeout=10)
            child.stdout.close()
        return seconds, buffer.split(b"\n", 1)[0].decode(errors="replace")

    def _client_cert(self):
        """A self-signed P-521 certificate like the one Terraform makes, from `openssl`."""
        key = self.scratch / "client-key.pem"
        cert = self.scratch / "client-cert.pem"
        argv = [
            "openssl", "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:secp521r1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/O=HashiCorp/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
        ]  # fmt: skip
        try:
            subprocess.run(argv, check=True, capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as error:
            raise BenchError(f"openssl could not make a client certificate: {error}") from error
        return cert.read_text()

    def binary_size(self):
        """The release binary's size as built and after `strip` of a copy."""
        self.results.binary_bytes = self.provider.stat().st_size
        copy = self.scratch / "terraform-provider-todo.stripped"
        shutil.copy(self.provider, copy)
        try:
            subprocess.run(["strip", str(copy)], check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as error:
            raise BenchError(f"strip failed: {error}") from error
        self.results.stripped_bytes = copy.stat().st_size
