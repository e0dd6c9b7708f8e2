"""Shared pieces of `make bench` (scripts/bench.py): statistics, child processes that are
always cleaned up, and a Terraform runner with a controlled environment.

Every process started here gets its own process group and, through PR_SET_PDEATHSIG, is killed
if the benchmark dies without cleaning up; `Children.stop_all` kills whatever is still running.
Every wait is bounded.
"""

import contextlib
import ctypes
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1


class BenchError(RuntimeError):
    """A command the benchmark needs failed (the only way `make bench` fails)."""


@dataclass(frozen=True)
class Stat:
    """Median, minimum and maximum of a series of samples."""

    median: float
    low: float
    high: float
    runs: int

    @staticmethod
    def of(samples):
        values = list(samples)
        if not values:
            raise BenchError("no samples to summarise")
        return Stat(statistics.median(values), min(values), max(values), len(values))

    def fmt(self, unit="", scale=1.0, digits=0):
        """`median (min–max)` with each value multiplied by `scale`."""

        def one(value):
            return f"{value * scale:.{digits}f}"

        if self.low == self.high:
            return f"{one(self.median)}{unit}"
        return f"{one(self.median)}{unit} ({one(self.low)}–{one(self.high)})"


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it when the benchmark's thread dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port():
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, timeout=5.0, body=None):
    """(status, body text) of one HTTP request; raises OSError when there is no answer."""
    request = urllib.request.Request(url, method=method, data=body)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def tail(path, lines=30):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Children:
    """The long-running processes the benchmark started (emulator, proxy): stopped on exit."""

    def __init__(self):
        self._running = []

    def start(self, name, argv, *, env, cwd, log_dir):
        log_dir.mkdir(parents=True, exist_ok=True)
        out = open(log_dir / f"{name}.stdout.log", "wb")
        err = open(log_dir / f"{name}.stderr.log", "wb")
        try:
            child = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            out.close()
            err.close()
        self._running.append((name, child))
        return child

    def stop(self, child):
        kill_group(child)
        self._running = [(n, c) for n, c in self._running if c is not child]

    def stop_all(self):
        for _, child in reversed(self._running):
            kill_group(child)
        self._running = []


def kill_group(child, grace=3.0):
    """SIGTERM the child's process group, SIGKILL it after `grace` seconds, and reap it."""
    if child.poll() is not None:
        return
    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass
        try:
            child.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_http_ok(url, child, timeout, what, log_dir):
    """Polls `url` every 50 ms until it answers 2xx; fails if `child` exits or time is up."""
    deadline = time.monotonic() + timeout
    while True:
        if child.poll() is not None:
            raise BenchError(
                f"{what} exited ({child.returncode}) before it was ready:\n"
                f"{tail(log_dir / f'{what}.stderr.log')}"
            )
        try:
            status, _ = http("GET", url, timeout=2.0)
            if 200 <= status < 300:
                return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise BenchError(f"{what} was not ready after {timeout} s: {url}")
        time.sleep(0.05)


@dataclass
class Run:
    """One finished command: its wall time, exit code and output."""

    seconds: float
    code: int
    stdout: str
    stderr: str
    # User + sys CPU of the command and every descendant it waited for (`RUSAGE_CHILDREN`
    # before and after; the benchmark runs one command at a time).
    cpu_s: float = 0.0


def run_timed(argv, *, env, cwd=None, timeout=600.0, accept=(0,)):
    """Runs `argv` in its own process group, timing it from spawn to exit; kills the whole group
    at `timeout`. Raises BenchError unless the exit code is in `accept`."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(child, grace=1.0)
        raise BenchError(f"timed out after {timeout} s and killed: {' '.join(argv)}") from None
    except BaseException:
        kill_group(child, grace=1.0)
        raise
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    run = Run(
        seconds,
        child.returncode,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        cpu_s,
    )
    if run.code not in accept:
        raise BenchError(
            f"{' '.join(str(a) for a in argv)} (in {cwd}) exited {run.code}\n"
            f"--- stdout (tail) ---\n{_last(run.stdout)}\n"
            f"--- stderr (tail) ---\n{_last(run.stderr)}"
        )
    return run


def _last(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


def clean_env(extra=None):
    """The caller's environment without TF_*, AWS_* and proxy settings, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_", "AWS_", "PLUGIN_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
        and k != "CHECKPOINT_DISABLE"
    }
    env.update(extra or {})
    return env


class Terraform:
    """Runs `.tools/bin/terraform` in working directories under the scratch folder, with a
    `.terraformrc` whose dev_overrides point at the provider directory given."""

    ADDRESS = "registry.terraform.io/todo/todo"

    def __init__(self, binary, scratch):
        self.binary = Path(binary)
        self.scratch = Path(scratch)
        self.endpoint = "http://127.0.0.1:9"  # nothing listens: plan rows must not call AWS

    def write_rc(self, name, provider_dir):
        """Writes a CLI configuration overriding the provider with `provider_dir`."""
        path = self.scratch / name
        escaped = str(provider_dir).replace("\\", "\\\\").replace('"', '\\"')
        path.write_text(
            "provider_installation {\n  dev_overrides {\n"
            f'    "{self.ADDRESS}" = "{escaped}"\n  }}\n  direct {{}}\n}}\n'
        )
        return path

    def workdir(self, name, fixture):
        """A fresh working directory `.bench/work/<name>` holding the fixture's `.tf` files."""
        path = self.scratch / "work" / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        for tf in Path(fixture).glob("*.tf"):
            shutil.copy(tf, path / tf.name)
        return path

    def env(self, rc, extra=None):
        base = {
            "TF_CLI_CONFIG_FILE": str(rc),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(self.scratch / "aws-config-none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.scratch / "aws-credentials-none"),
        }
        base.update(extra or {})
        return clean_env(base)

    def run(self, workdir, args, *, rc, extra_env=None, timeout=600.0, accept=(0,)):
        """`terraform <args>` in `workdir`; returns the Run (wall time from spawn to exit)."""
        argv = [str(self.binary), *args]
        return run_timed(
            argv, env=self.env(rc, extra_env), cwd=workdir, timeout=timeout, accept=accept
        )


def tf_vars(values):
    """`-var name=value` arguments for a dict."""
    args = []
    for name, value in values.items():
        args += ["-var", f"{name}={value}"]
    return args


def plan_with_wrapped_provider(root, scratch, provider, command, *, resources, runs, name):
    """Runs `terraform plan -refresh=false` of `resources` repositories (`benches/ecr_repository`,
    the set-up of make bench's plan rows) `runs` times, with every provider process Terraform
    starts run as `command "<provider>" <its arguments>` (`command` is shell text, for a
    profiler; its standard error goes to `<scratch>/<name>.log`). Exits with a hint when the
    provider or Terraform is missing."""
    root, scratch, provider = Path(root), Path(scratch), Path(provider)
    terraform = root / ".tools" / "bin" / "terraform"
    for needed, hint in ((provider, "build it (see above)"), (terraform, "run `make tools`")):
        if not needed.exists():
            raise SystemExit(f"{needed} is missing: {hint}")
    wrapped = scratch / "wrapped"
    wrapped.mkdir()
    wrapper = wrapped / "terraform-provider-todo"
    wrapper.write_text(
        f'#!/bin/sh\nexec {command} "{provider}" "$@" 2>>"{scratch}/{name}.log"\n'
    )
    wrapper.chmod(0o755)
    tf = Terraform(terraform, scratch)
    rc = tf.write_rc("terraformrc", wrapped)
    work = tf.workdir(name, root / "benches" / "ecr_repository")
    plan = ["plan", "-refresh=false", "-input=false", "-no-color", *tf_vars({"n": resources})]
    for _ in range(runs):
        tf.run(work, plan, rc=rc, timeout=600.0)


@contextlib.contextmanager
def recorded_plans(root, provider, tool, command, *, resources, runs, name):
    """Checks that `tool` is installed, then runs `plan_with_wrapped_provider` in a temporary
    folder with each provider process under `command`, a format string whose `{data}` names
    the folder the tool writes its recordings into; yields that folder, removed afterwards."""
    if not shutil.which(tool):
        raise SystemExit(f"{tool} is missing: install it from the distribution's packages")
    with tempfile.TemporaryDirectory(prefix=f"todo-{name}-") as scratch:
        scratch = Path(scratch)
        data = scratch / "data"
        data.mkdir()
        plan_with_wrapped_provider(
            root,
            scratch,
            provider,
            command.format(data=data),
            resources=resources,
            runs=runs,
            name=name,
        )
        yield data
