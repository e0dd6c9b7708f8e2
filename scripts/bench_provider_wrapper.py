#!/usr/bin/env python3
"""The provider as Terraform starts it, with its resource usage recorded (for `make bench`).

`scripts/bench.py` copies this file to `.bench/wrapped/terraform-provider-todo` and points a
`dev_overrides` at that directory, so each provider process Terraform starts during a plan runs
under it. It forks, execs the real provider (`BENCH_PROVIDER_BINARY`) with the same arguments,
environment and standard streams Terraform set up, waits for it with
`wait4`, and appends one JSON line to `BENCH_RUSAGE_LOG`: the child's user and system CPU
seconds and its peak resident set (`ru_maxrss`, KiB). `wait4` reports the provider process alone:
not this wrapper, not Terraform.

One caveat of `ru_maxrss`: Linux folds the resident set the process had just before `exec` (here,
the forked copy of this wrapper, a few MiB) into it. The child reports that size (`VmHWM` read
just before `exec`) through a pipe; the record carries it as `pre_exec_kib`, so that a peak no
higher than it can be told from the provider's own.

Terminating signals are passed on to the provider, so Terraform's shutdown reaches it. Exits
with the provider's status.
"""

import json
import os
import signal
import sys
import time

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def high_water_kib() -> int:
    """This process's peak resident set so far (`VmHWM` of /proc/self/status), in KiB."""
    fd = os.open("/proc/self/status", os.O_RDONLY)
    try:
        status = os.read(fd, 8192)
    finally:
        os.close(fd)
    for line in status.split(b"\n"):
        if line.startswith(b"VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    binary = os.environ["BENCH_PROVIDER_BINARY"]
    log = os.environ["BENCH_RUSAGE_LOG"]
    started = time.perf_counter()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.write(write_end, str(high_water_kib()).encode())
            os.close(write_end)
            os.execv(binary, [binary, *sys.argv[1:]])
        finally:
            os._exit(127)
    os.close(write_end)
    pre_exec = b""
    while chunk := os.read(read_end, 64):
        pre_exec += chunk
    os.close(read_end)
    for signum in FORWARDED:
        signal.signal(signum, lambda s, _frame: os.kill(pid, s))
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    record = {
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "maxrss_kib": usage.ru_maxrss,
        "pre_exec_kib": int(pre_exec or b"0"),
        "wall_s": time.perf_counter() - started,
        "exit": os.waitstatus_to_exitcode(status),
        "args": sys.argv[1:],
    }
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # One write per line: O_APPEND keeps concurrent providers' lines whole.
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
