"""The emulator rows of `make bench` (scripts/bench.py): ministack on 127.0.0.1, the project's
fault proxy (tests/support/fault_proxy.py under mitmdump) in pass-through mode in front of it,
and Terraform applying, re-planning and destroying through the proxy, which counts every AWS
call by its `X-Amz-Target` (the operation).

The rollout-wait polls of `todo_fargate_service` are told apart from its fixed calls with the
provider's own debug log (`TF_LOG_PROVIDER=DEBUG`): each wait logs `still waiting` with the state
for every poll that did not end it, and `wait ended` after the poll that ended it; see
`ServicePolls`.
"""

import json
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench_lib import BenchError, free_port, http, run_timed, tf_vars, wait_http_ok

READY_TIMEOUT = 30.0
COMMAND_TIMEOUT = 300.0
IMAGE_TAG = "v1"
UPDATED_IMAGE_TAG = "v2"
# What the in-place update of the repositories changes: a tag and the lifecycle policy.
REPOSITORY_UPDATE = {"tags": '{bench="updated"}', "keep_images": 10}
CLUSTER = "bench-cluster"
SERVICES = 10
REPOSITORIES = 100

TARGET_PREFIXES = {
    "AmazonEC2ContainerServiceV20141113.": "ecs:",
    "AmazonEC2ContainerRegistry_V20150921.": "ecr:",
}


def operation(target):
    """`ecs:DescribeServices` for `AmazonEC2ContainerServiceV20141113.DescribeServices`."""
    for prefix, short in TARGET_PREFIXES.items():
        if target.startswith(prefix):
            return short + target[len(prefix) :]
    return target or "(no X-Amz-Target)"


@dataclass
class ServicePolls:
    """DescribeServices calls made inside the services' waits, from the provider's debug log.

    A wait polls until the state is a target: every poll that finds it still pending logs
    `still waiting` (rollout: `InProgress` / `NotVisibleYet`; deletion: `Some(Active)` /
    `Some(Draining)`), and one last poll ends the wait, which then logs `rollout wait ended`
    or `deletion wait ended`."""

    rollout_pending: int = 0
    deletion_pending: int = 0
    rollout_waits: int = 0
    deletion_waits: int = 0

    @property
    def rollout(self):
        return self.rollout_pending + self.rollout_waits

    @property
    def deletion(self):
        return self.deletion_pending + self.deletion_waits

    @staticmethod
    def parse(log_text):
        polls = ServicePolls()
        for line in log_text.splitlines():
            if "still waiting" in line:
                if re.search(r"state=\"?(InProgress|NotVisibleYet)\b", line):
                    polls.rollout_pending += 1
                elif re.search(r"state=\"?Some\((Active|Draining)\)", line):
                    polls.deletion_pending += 1
            elif "rollout wait ended" in line:
                polls.rollout_waits += 1
            elif "deletion wait ended" in line:
                polls.deletion_waits += 1
        return polls


@dataclass
class Sample:
    """One measured Terraform command: wall time, AWS calls by operation, plan emptiness."""

    seconds: float
    calls: Counter
    empty_plan: bool | None = None
    polls: ServicePolls | None = None

    @property
    def total(self):
        return sum(self.calls.values())


@dataclass
class AwsResults:
    """Samples per row name, e.g. `repositories/apply`, `refresh/service`."""

    samples: dict = field(default_factory=dict)
    ministack_version: str = ""

    def add(self, row, sample):
        self.samples.setdefault(row, []).append(sample)


class AwsBench:
    """ministack + the counting proxy + the emulator scenarios."""

    def __init__(self, root, scratch, tf, rc, children):
        self.root = Path(root)
        self.scratch = Path(scratch)
        self.tf = tf
        self.rc = rc
        self.children = children
        self.logs = self.scratch / "logs"
        self.results = AwsResults()
        self.emulator_url = ""
        self.proxy_url = ""

    # --- processes ---------------------------------------------------------------------------

    def start(self):
        """Starts ministack and the proxy on free ports of 127.0.0.1 and waits until both
        answer (at most 30 s each)."""
        tools = self.root / ".tools"
        ministack = tools / "venv" / "bin" / "ministack"
        mitmdump = tools / "mitmproxy-venv" / "bin" / "mitmdump"
        for program in (ministack, mitmdump):
            if not program.exists():
                raise BenchError(f"{program} is missing: run `make tools` first")
        home = self.scratch / "ministack"
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "TMPDIR": str(home),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "BIND_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "S3_DATA_DIR": str(home / "s3"),
            "DOCKER_HOST": "unix:///nonexistent.sock",
            "IOT_MTLS_ENABLED": "0",
            "SFTP_ENABLED": "0",
        }
        child = self.children.start(
            "ministack", [str(ministack)], env=env, cwd=home, log_dir=self.logs
        )
        self.emulator_url = f"http://127.0.0.1:{port}"
        wait_http_ok(
            f"{self.emulator_url}/_ministack/ready", child, READY_TIMEOUT, "ministack", self.logs
        )
        proxy_home = self.scratch / "mitmproxy"
        proxy_home.mkdir(parents=True, exist_ok=True)
        proxy_port = free_port()
        argv = [
            str(mitmdump),
            "--mode", f"reverse:{self.emulator_url}",
            "--listen-host", "127.0.0.1",
            "--listen-port", str(proxy_port),
            "-s", str(self.root / "tests" / "support" / "fault_proxy.py"),
            "--set", f"confdir={tools / 'mitmproxy-conf'}",
            "--set", "keep_host_header=true",
            "--set", "connection_strategy=lazy",
            "--flow-detail", "0",
        ]  # fmt: skip
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(proxy_home),
            "TMPDIR": str(proxy_home),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        child = self.children.start("mitmdump", argv, env=env, cwd=proxy_home, log_dir=self.logs)
        self.proxy_url = f"http://127.0.0.1:{proxy_port}"
        wait_http_ok(f"{self.proxy_url}/__faults__", child, READY_TIMEOUT, "mitmdump", self.logs)
        self.tf.endpoint = self.proxy_url
        self.results.ministack_version = self._ministack_version()

    def _ministack_version(self):
        python = self.root / ".tools" / "venv" / "bin" / "python"
        probe = "import importlib.metadata as m; print(m.version('ministack'))"
        try:
            out = subprocess.run(
                [str(python), "-c", probe], capture_output=True, text=True, timeout=30
            )
            return out.stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    # --- counting ----------------------------------------------------------------------------

    def _control(self, method, path=""):
        status, body = http(method, f"{self.proxy_url}/__faults__{path}", timeout=10.0)
        if status != 200:
            raise BenchError(f"fault proxy {method} /__faults__{path} answered {status}: {body}")
        return body

    def _calls(self):
        seen = json.loads(self._control("GET"))["seen"]
        return Counter({operation(t): n for t, n in seen.items() if n})

    def measure(self, workdir, args, *, accept=(0,), log_name=None):
        """Runs `terraform <args>` through the proxy and returns a Sample of it."""
        self._control("POST", "/reset")
        extra = {}
        log = None
        if log_name:
            log = self.logs / f"{log_name}.log"
            log.unlink(missing_ok=True)
            extra = {"TF_LOG_PROVIDER": "DEBUG", "TF_LOG_PATH": str(log)}
        run = self.tf.run(
            workdir, args, rc=self.rc, extra_env=extra, timeout=COMMAND_TIMEOUT, accept=accept
        )
        sample = Sample(run.seconds, self._calls())
        if "plan" in args:
            sample.empty_plan = run.code == 0
        if log is not None:
            sample.polls = ServicePolls.parse(log.read_text(errors="replace"))
        return sample

    # --- scenarios ---------------------------------------------------------------------------

    def _apply(self, workdir, variables, log_name=None):
        args = ["apply", "-input=false", "-no-color", "-auto-approve", *tf_vars(variables)]
        return self.measure(workdir, args, log_name=log_name)

    def _plan(self, workdir, variables, log_name=None):
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", *tf_vars(variables)]
        return self.measure(workdir, args, accept=(0, 2), log_name=log_name)

    def _destroy(self, workdir, variables, log_name=None):
        args = ["destroy", "-input=false", "-no-color", "-auto-approve", *tf_vars(variables)]
        return self.measure(workdir, args, log_name=log_name)

    def setup(self):
        """The objects the service rows need and the one-object refresh rows read: a cluster, a
        repository holding a pushed image, and one service. Not timed."""
        fixtures = self.root / "benches"
        self.cluster_dir = self.tf.workdir("one-cluster", fixtures / "ecs_cluster")
        self.cluster_vars = {"name": CLUSTER}
        self._apply(self.cluster_dir, self.cluster_vars)
        self.repo_dir = self.tf.workdir("one-repository", fixtures / "ecr_repository")
        self.repo_vars = {"n": 1, "prefix": "bench-image"}
        self._apply(self.repo_dir, self.repo_vars)
        repository = "bench-image-0"
        self._push_image(repository, IMAGE_TAG)
        self._push_image(repository, UPDATED_IMAGE_TAG)
        self.repository_url = self._repository_url()
        self.service_vars = {
            "cluster": CLUSTER,
            "repository_url": self.repository_url,
            "image_tag": IMAGE_TAG,
        }
        self.one_service_dir = self.tf.workdir("one-service", fixtures / "fargate_service")
        self.one_service_vars = {"n": 1, "prefix": "bench-one", **self.service_vars}
        self._apply(self.one_service_dir, self.one_service_vars)
        self.repos_dir = self.tf.workdir("repositories", fixtures / "ecr_repository")
        self.repos_vars = {"n": REPOSITORIES, "prefix": "bench-repo"}
        self.services_dir = self.tf.workdir("services", fixtures / "fargate_service")
        self.services_vars = {"n": SERVICES, "prefix": "bench-svc", **self.service_vars}

    def _repository_url(self):
        run = self.tf.run(
            self.repo_dir, ["output", "-json", "repository_urls"], rc=self.rc, timeout=60.0
        )
        urls = json.loads(run.stdout)
        if not urls:
            raise BenchError("the image repository has no URL in its state")
        return urls[0]

    def _push_image(self, repository, tag):
        """Pushes `repository:tag` straight to the emulator (not counted) as the demo does."""
        python = self.root / ".tools" / "venv" / "bin" / "python"
        script = self.root / "scripts" / "publish-image.py"
        env = self.tf.env(
            self.rc, {"AWS_ENDPOINT_URL": self.emulator_url, "AWS_DEFAULT_REGION": "us-east-1"}
        )
        run_timed([str(python), str(script), repository, tag], env=env, timeout=60.0)

    def refresh_round(self):
        """One plan (refresh on) of each one-object state, counted."""
        for row, workdir, variables in (
            ("refresh/repository", self.repo_dir, self.repo_vars),
            ("refresh/cluster", self.cluster_dir, self.cluster_vars),
            ("refresh/service", self.one_service_dir, self.one_service_vars),
        ):
            self.results.add(row, self._plan(workdir, variables))

    def repositories_round(self, index):
        """Apply, re-plan, in-place update (a tag and keep_images) and destroy of 100
        repositories."""
        d, v = self.repos_dir, self.repos_vars
        updated = {**v, **REPOSITORY_UPDATE}
        self.results.add("repositories/apply", self._apply(d, v))
        self.results.add("repositories/plan", self._plan(d, v))
        self.results.add("repositories/update", self._apply(d, updated))
        self.results.add("repositories/destroy", self._destroy(d, updated))

    def services_round(self, index):
        """Apply, re-plan, in-place update (a new image_tag) and destroy of 10 services, with
        the provider's debug log."""
        d, v = self.services_dir, self.services_vars
        updated = {**v, "image_tag": UPDATED_IMAGE_TAG}
        self.results.add("services/apply", self._apply(d, v, f"services-{index}-apply"))
        self.results.add("services/plan", self._plan(d, v, f"services-{index}-plan"))
        self.results.add("services/update", self._apply(d, updated, f"services-{index}-update"))
        self.results.add("services/destroy", self._destroy(d, updated, f"services-{index}-destroy"))

    def teardown(self):
        """Destroys the set-up objects (best effort: the emulator is stopped next anyway)."""
        for workdir, variables in (
            (self.one_service_dir, self.one_service_vars),
            (self.repo_dir, self.repo_vars),
            (self.cluster_dir, self.cluster_vars),
        ):
            self._destroy(workdir, variables)
        shutil.rmtree(self.scratch / "ministack" / "s3", ignore_errors=True)
