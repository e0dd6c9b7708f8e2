"""Fault injection for the acceptance tests: a mitmproxy addon in front of an AWS emulator.

Run by tests/support/proxy.rs as

    mitmdump --mode reverse:<emulator endpoint> --listen-host 127.0.0.1 \
             --listen-port <port> -s fault_proxy.py

Every request is forwarded to the emulator unless a rule picks it. Rules are chosen per AWS
operation by the ``X-Amz-Target`` header (for example
``AmazonEC2ContainerServiceV20141113.DescribeServices``), or ``*`` for any operation, and do one
of these:

- ``throttle``: answer 400 ``ThrottlingException`` (awsJson1.1 body and ``x-amzn-ErrorType``),
- ``error``: answer 500 ``InternalFailure`` or 503 ``ServiceUnavailable`` (any 5xx status),
- ``hang``: never answer (until the rules are cleared; the connection is then dropped), or with
  ``seconds``, wait that long and then forward the request,
- ``hold``: forward the request at once, then hold the emulator's answer back ``seconds``.

A rule applies to the next ``times`` matching requests, to one in every ``every`` (the
``every``-th, the ``2*every``-th, ...), or, with neither, to every matching request until the
rules are cleared. The first rule that fires for a request decides it.

The proxy is controlled through itself, on the reserved path ``/__faults__``, which is answered
here and never forwarded:

- ``GET /__faults__``: the rules and the counters as JSON: ``seen`` (requests per target),
  ``faults`` (faults injected per target), ``holding`` / ``hanging`` (requests held back or hung
  right now, per target: a held request's answer has already come back from the emulator),
- ``POST /__faults__/rules`` with a rule as JSON (``target``, ``action``, optional ``status``,
  ``seconds``, ``times``, ``every``): adds it,
- ``POST /__faults__/clear``: removes every rule and releases the hung requests,
- ``POST /__faults__/reset``: the same, and zeroes the counters.

Hooks are ``async``: a hung or held request waits in its own task and never blocks another flow.
"""

import asyncio
import json
import uuid
from collections import Counter

from mitmproxy import ctx, http

CONTROL_PATH = "/__faults__"
ACTIONS = ("throttle", "error", "hang", "hold")
# The error type AWS puts in the body and the x-amzn-ErrorType header, per 5xx status.
SERVER_ERRORS = {500: "InternalFailure", 502: "BadGateway", 503: "ServiceUnavailable"}
# The metadata keys a flow carries once a rule picked it.
HOLD_KEY = "fault_proxy.hold"


class RuleError(ValueError):
    """A rule posted to the control path is not valid."""


class Rule:
    """One fault: which target, what to do, and how often."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise RuleError("a rule is a JSON object")
        self.target = spec.get("target")
        self.action = spec.get("action")
        self.status = spec.get("status")
        self.seconds = spec.get("seconds")
        self.times = spec.get("times")
        self.every = spec.get("every")
        self.matched = 0
        if not isinstance(self.target, str) or not self.target:
            raise RuleError("target must be an X-Amz-Target value or '*'")
        if self.action not in ACTIONS:
            raise RuleError(f"action must be one of {ACTIONS}, not {self.action!r}")
        if self.action == "error":
            if not isinstance(self.status, int) or not 500 <= self.status <= 599:
                raise RuleError("an error rule needs a 5xx status")
        if self.action == "hold" and not _is_seconds(self.seconds):
            raise RuleError("a hold rule needs seconds >= 0")
        if self.seconds is not None and not _is_seconds(self.seconds):
            raise RuleError("seconds must be a number >= 0")
        if self.times is not None and self.every is not None:
            raise RuleError("give times or every, not both")
        for name in ("times", "every"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise RuleError(f"{name} must be a whole number >= 1")

    def matches(self, target):
        return self.target in ("*", target)

    def fires(self):
        """Called for each matching request: whether the rule applies to this one."""
        self.matched += 1
        if self.every is not None:
            return self.matched % self.every == 0
        if self.times is not None:
            if self.times == 0:
                return False
            self.times -= 1
        return True

    def used_up(self):
        return self.times == 0

    def describe(self):
        return {
            "target": self.target,
            "action": self.action,
            "status": self.status,
            "seconds": self.seconds,
            "times_left": self.times,
            "every": self.every,
            "matched": self.matched,
        }


def _is_seconds(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _aws_error(status, error_type, message):
    body = json.dumps({"__type": error_type, "message": message}).encode()
    return http.Response.make(
        status,
        body,
        {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-ErrorType": error_type,
            "x-amzn-RequestId": str(uuid.uuid4()),
        },
    )


def _json_response(status, value):
    return http.Response.make(
        status, json.dumps(value).encode(), {"Content-Type": "application/json"}
    )


class FaultProxy:
    """The addon: rules, counters and the control path."""

    def __init__(self):
        self.rules = []
        self.seen = Counter()
        self.faults = Counter()
        self.holding = Counter()
        self.hanging = Counter()
        # Set when the rules are cleared: hung requests wait on it. Created lazily, inside
        # mitmproxy's event loop.
        self._released = None

    def _release_event(self):
        if self._released is None:
            self._released = asyncio.Event()
        return self._released

    def _clear_rules(self):
        self.rules = []
        self._release_event().set()
        self._released = asyncio.Event()

    def _control(self, flow):
        request = flow.request
        path = request.path.split("?", 1)[0].rstrip("/")
        if request.method == "GET" and path == CONTROL_PATH:
            return _json_response(200, self._report())
        if request.method == "POST" and path == CONTROL_PATH + "/rules":
            try:
                rule = Rule(json.loads(request.get_text() or "null"))
            except (RuleError, json.JSONDecodeError) as error:
                return _json_response(400, {"error": str(error)})
            self.rules.append(rule)
            ctx.log.info(f"fault rule added: {rule.describe()}")
            return _json_response(200, {"rules": len(self.rules)})
        if request.method == "POST" and path == CONTROL_PATH + "/clear":
            self._clear_rules()
            ctx.log.info("fault rules cleared")
            return _json_response(200, self._report())
        if request.method == "POST" and path == CONTROL_PATH + "/reset":
            self._clear_rules()
            for counter in (self.seen, self.faults):
                counter.clear()
            ctx.log.info("fault rules and counters reset")
            return _json_response(200, self._report())
        return _json_response(404, {"error": f"no such control request: {request.method} {path}"})

    def _report(self):
        return {
            "rules": [rule.describe() for rule in self.rules],
            "seen": dict(self.seen),
            "faults": dict(self.faults),
            "holding": {k: v for k, v in self.holding.items() if v},
            "hanging": {k: v for k, v in self.hanging.items() if v},
        }

    def _pick(self, target):
        for rule in self.rules:
            if rule.matches(target) and rule.fires():
                if rule.used_up():
                    self.rules.remove(rule)
                return rule
        return None

    async def request(self, flow):
        if flow.request.path.startswith(CONTROL_PATH):
            flow.response = self._control(flow)
            return
        target = flow.request.headers.get("X-Amz-Target", "")
        self.seen[target] += 1
        rule = self._pick(target)
        if rule is None:
            return
        self.faults[target] += 1
        ctx.log.info(f"fault {rule.action} for {target or '(no target)'}")
        if rule.action == "throttle":
            flow.response = _aws_error(400, "ThrottlingException", "Rate exceeded")
        elif rule.action == "error":
            error_type = SERVER_ERRORS.get(rule.status, "InternalFailure")
            flow.response = _aws_error(rule.status, error_type, f"injected {rule.status}")
        elif rule.action == "hang":
            await self._hang(flow, target, rule.seconds)
        elif rule.action == "hold":
            flow.metadata[HOLD_KEY] = rule.seconds

    async def _hang(self, flow, target, seconds):
        """Waits `seconds` then lets the request through, or with no seconds waits until the
        rules are cleared and then drops the connection without an answer."""
        self.hanging[target] += 1
        try:
            if seconds is not None:
                await asyncio.sleep(seconds)
                return
            await self._release_event().wait()
            flow.kill()
        finally:
            self.hanging[target] -= 1

    async def response(self, flow):
        seconds = flow.metadata.get(HOLD_KEY)
        if seconds is None:
            return
        target = flow.request.headers.get("X-Amz-Target", "")
        self.holding[target] += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            self.holding[target] -= 1


addons = [FaultProxy()]
