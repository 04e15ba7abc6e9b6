"""Drive a real ipykernel with generated cases and check every answer against the oracle.

`FuzzFrontend` is tests/integration/kernel_frontend.py's `KernelFrontend` with its own browser
rules: each model's confirmed state is kept by `View` (patches applied with tests/fuzz/rfc6902.py,
not widgets/patch.py), every comm message from the kernel is filed under the request it answers
(its parent header), and the kernel's `busy`/`idle` dates give its time per message.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient

from tests.integration.kernel_frontend import Kernel, KernelFrontend

from . import rfc6902
from .generator import Case, Generator, Step
from .oracle import (
    KINDS,
    MAX_MESSAGE,
    PROTOCOL,
    SYNC_KEYS,
    Blob,
    Expect,
    ModelContext,
    Oracle,
    Outcome,
    insert_buffers,
    same,
)
from .wire import as_received, install, other_session

MODEL_TARGET = "widgets.model"
PROBE_TARGET = "fuzz.probe"
OUTPUT_TYPES = ("stream", "error", "display_data", "execute_result", "update_display_data", "clear_output")
KERNEL_SIDE = Path(__file__).with_name("kernel_side.py")
DUMPED = (*sorted(SYNC_KEYS), "hidden")


def short(value: Any, limit: int = 400) -> str:
    """A readable, bounded rendering of a message or value."""

    def shrink(v: Any, depth: int = 0) -> Any:
        if isinstance(v, str) and len(v) > 60:
            return v[:40] + f"…<{len(v)} chars>"
        if isinstance(v, list):
            head = [shrink(x, depth + 1) for x in v[:8]]
            return head + ([f"…<{len(v)} items>"] if len(v) > 8 else [])
        if isinstance(v, dict):
            items = list(v.items())
            out = {str(k)[:40]: shrink(x, depth + 1) for k, x in items[:12]}
            if len(items) > 12:
                out["…"] = f"<{len(items)} members>"
            return out
        return v

    text = repr(shrink(value))
    return text if len(text) <= limit else text[:limit] + "…"


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two values first differ, as a JSON pointer with both sides (type names included)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            token = f"{path}/{key.replace('~', '~0').replace('/', '~1')}"
            if key not in a or key not in b:
                return f"{token}: only on the {'first' if key in a else 'second'} side"
            if not same(a[key], b[key]):
                return first_difference(a[key], b[key], token)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            if not same(x, y):
                return first_difference(x, y, f"{path}/{n}")
    return f"{path or '(whole value)'}: {short(a, 100)} ({type(a).__name__}) vs {short(b, 100)} ({type(b).__name__})"


@dataclass
class Reply:
    kind: str
    comm_id: str
    data: Any
    buffers: list[bytes]


class View:
    """The browser's copy of one model: confirmed state at `rev`, by docs/protocol.md's browser rules."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.rev = 0
        self.confirmed: dict[str, Any] = {}
        self.sent_rev: dict[str, int] = {}  # last rev whose update named the key
        self.changed_rev: dict[str, int] = {}  # last rev whose update changed the key's value
        self.touched_rev: dict[str, int] = {}  # last rev acknowledging a browser write the kernel took
        self.errors: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.needs_state = False

    def apply(self, data: Any, buffers: list[bytes]) -> None:
        if not isinstance(data, dict):
            self.problems.append(f"the kernel sent data that is not an object: {short(data)}")
            return
        data = rfc6902.json_copy(data)
        framing, _extra = insert_buffers(data, buffers, extra_allowed=data.get("method") == "custom")
        if framing:
            self.problems.append(f"the kernel's buffer framing is wrong ({framing}): {short(data)}")
            return
        if data.get("protocol") != PROTOCOL:
            self.problems.append(f"the kernel sent protocol {data.get('protocol')!r}")
        method = data.get("method")
        if method in ("open", "state"):
            self.rev = data["rev"]
            self.confirmed = dict(data["state"])
            self.needs_state = False
        elif method == "update":
            self._update(data)
        if method in ("update", "error"):
            self.errors.extend(e for e in data.get("errors", []) if isinstance(e, dict))

    def _update(self, data: dict[str, Any]) -> None:
        if self.needs_state:
            return
        rev = data.get("rev")
        if rev != self.rev + 1:
            self.problems.append(f"update rev {rev} after rev {self.rev}: a revision was used without a message")
            self.needs_state = True
            return
        self.rev = rev
        for key, value in data.get("state", {}).items():
            self._set(key, value)
        for key, ops in data.get("patch", {}).items():
            try:
                value, _ = rfc6902.apply_patch(self.confirmed.get(key), ops)
            except rfc6902.PatchFailure as failure:
                self.problems.append(f"the kernel's patch for {key!r} does not apply ({failure}): {short(ops)}")
                self.needs_state = True
                return
            self._set(key, value)

    def _set(self, key: str, value: Any) -> None:
        self.sent_rev[key] = self.rev
        if key not in self.confirmed or not same(self.confirmed[key], value):
            self.changed_rev[key] = self.rev
        self.confirmed[key] = value


class FuzzFrontend(KernelFrontend):
    """A browser tab whose models are `View`s and whose messages may hold NaN and lone surrogates."""

    def __init__(self, kernel_client: BlockingKernelClient) -> None:
        super().__init__(kernel_client)
        install(self.kc.session)
        self.other = other_session(self.kc.session)
        self.views: dict[str, View] = {}
        self.probe_id: str | None = None
        self.probe_replies: dict[Any, dict[str, Any]] = {}
        self.by_parent: dict[str, list[Reply]] = defaultdict(list)
        self.busy_at: dict[str, datetime.datetime] = {}
        self.idle_at: dict[str, datetime.datetime] = {}
        self.unexpected: list[str] = []
        self._parent: dict[str, Any] = {}

    @classmethod
    def open(cls, connection_file: str) -> FuzzFrontend:
        frontend = cls.connect(connection_file)
        assert isinstance(frontend, FuzzFrontend)
        return frontend

    def _handle(self, msg: dict[str, Any]) -> None:
        self._parent = msg.get("parent_header") or {}
        msg_type = msg["header"]["msg_type"]
        parent_id = self._parent.get("msg_id")
        if msg_type == "status" and parent_id:
            state = msg["content"].get("execution_state")
            (self.busy_at if state == "busy" else self.idle_at if state == "idle" else {})[parent_id] = msg["header"][
                "date"
            ]
        ours = self._parent.get("msg_type") == "execute_request"
        if msg_type in OUTPUT_TYPES and not ours:
            self.unexpected.append(f"{msg_type} (parent {self._parent.get('msg_type')}): {short(msg['content'])}")
        super()._handle(msg)
        if not ours and self.iopub_messages:
            self.iopub_messages.pop()  # only cells' messages are looked up later; keep memory flat

    def receive(self, kind: str, comm_id: str, data: Any, buffers: list[bytes], target: str | None = None) -> None:
        if kind == "comm_open" and target == PROBE_TARGET:
            self.probe_id = comm_id
            return
        if comm_id == self.probe_id and isinstance(data, dict):
            self.probe_replies[data.get("tag")] = data
            return
        if kind == "comm_open" and target == MODEL_TARGET:
            self.views[comm_id] = View(comm_id)
        parent_id = self._parent.get("msg_id")
        if parent_id:
            self.by_parent[parent_id].append(Reply(kind, comm_id, data, list(buffers)))
        view = self.views.get(comm_id)
        if view is not None and kind != "comm_close":
            view.apply(data, buffers)

    def send_comm(self, comm_id: str, data: Any, buffers: list[bytes], other: bool = False) -> str:
        session = self.other if other else self.kc.session
        content = {"comm_id": comm_id, "data": data}
        msg = session.send(self.kc.shell_channel.socket, "comm_msg", content, buffers=list(buffers) or None)
        assert msg is not None
        self.transmitted.append(msg["header"]["msg_id"])
        return str(msg["header"]["msg_id"])

    def probe(self, request: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        assert self.probe_id is not None, "the kernel opened no probe comm"
        tag = f"p{len(self.transmitted)}"
        self.send_comm(self.probe_id, {**request, "tag": tag}, [])
        self.wait_for(lambda: tag in self.probe_replies, timeout)
        return self.probe_replies.pop(tag)

    def kernel_ms(self, msg_id: str) -> float | None:
        busy, idle = self.busy_at.get(msg_id), self.idle_at.get(msg_id)
        if busy is None or idle is None:
            return None
        return (idle - busy).total_seconds() * 1000


def decode_dump(value: Any) -> Any:
    if isinstance(value, dict):
        if "$blob" in value:
            shape = value.get("shape")
            return Blob(
                value["$blob"], bytes.fromhex(value["hex"]), value.get("dtype"), tuple(shape) if shape else None
            )
        return {k: decode_dump(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_dump(v) for v in value]
    return value


@dataclass
class Failure:
    case: int
    text: str


@dataclass
class Sent:
    step: Step
    index: int
    msg_id: str
    expect: Expect | None = None
    model: ModelContext | None = None
    settled: Outcome | None = None  # settled before the answer (a definite prediction, pipelined)
    accepted: set[str] = field(default_factory=set)


@dataclass
class Report:
    seed: int
    cases: int = 0
    messages: int = 0
    refusals: int = 0
    slowest_refusal: tuple[float, str] = (0.0, "")
    slowest_message: tuple[float, str] = (0.0, "")
    repairs: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refusal_ms: list[float] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items()))
        times = sorted(self.refusal_ms) or [0.0]
        median, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
        return (
            f"fuzz: seed {self.seed}, {self.cases} cases, {self.messages} messages in {self.seconds:.1f} s; "
            f"{self.refusals} refused ({kinds}); kernel time per refusal: median {median:.1f} ms, "
            f"p99 {p99:.1f} ms, slowest {self.slowest_refusal[0]:.1f} ms "
            f"({self.slowest_refusal[1]}); slowest message {self.slowest_message[0]:.1f} ms "
            f"({self.slowest_message[1]}); request_state repairs {self.repairs}; failures {len(self.failures)}"
        )

    def describe(self) -> str:
        head = f"{len(self.failures)} failure(s); reproduce with WIDGETS_FUZZ_SEED={self.seed}\n"
        return head + "\n\n".join(f"--- case {f.case}\n{f.text}" for f in self.failures)


class FuzzRun:
    """One seeded run: set the kernel up, then generate, send, predict and check case by case."""

    def __init__(self, kernel: Kernel, seed: int, max_failures: int = 5) -> None:
        self.kernel = kernel
        self.frontend = FuzzFrontend.open(kernel.connection_file)
        self.report = Report(seed)
        self.max_failures = max_failures
        ids = json.loads(self.frontend.execute(KERNEL_SIDE.read_text(encoding="utf-8")).strip().splitlines()[-1])
        self.ids: dict[str, str] = ids
        self.frontend.wait_for(
            lambda: self.frontend.probe_id is not None and all(i in self.frontend.views for i in ids.values())
        )
        self.main_client = "c" + format(seed % 2**64, "x").rjust(16, "0")
        self.seq = 0
        dump = self.dump()
        self.oracle = Oracle({n: ModelContext(n, i, dump[n]) for n, i in ids.items()})
        self.generator = Generator(seed, self)
        self.unseen: dict[str, dict[str, str]] = defaultdict(dict)
        self.case: Case | None = None
        self.transcript: list[str] = []
        self.case_errors: dict[str, int] = {}

    # --- World (what the generator may know) --------------------------------------------------

    def names(self) -> list[str]:
        return sorted(self.ids)

    def value(self, name: str, key: str) -> Any:
        return self.view(name).confirmed.get(key)

    def rev(self, name: str) -> int:
        return self.view(name).rev

    def model_id(self, name: str) -> str:
        return self.ids[name]

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def last_applied(self, name: str, client: str) -> int:
        record = self.oracle.models[name].clients.get(client)
        return record.applied if record is not None and record.applied == record.acked else 0

    def view(self, name: str) -> View:
        return self.frontend.views[self.ids[name]]

    # --- running ---------------------------------------------------------------------------

    def dump(self) -> dict[str, dict[str, Any]]:
        reply = self.frontend.probe({"op": "dump"})
        return decode_dump(json.loads(reply["dump"]))  # type: ignore[no-any-return]

    def run(self, cases: int) -> Report:
        started = time.monotonic()
        try:
            for number in range(1, cases + 1):
                self.run_case(self.generator.case(number))
                self.report.cases = number
                if len(self.report.failures) >= self.max_failures:
                    break
        finally:
            self.report.seconds = time.monotonic() - started
        log = self.kernel.log()
        if "Traceback" in log:
            self.fail(0, f"the kernel process logged a traceback:\n{log[-3000:]}")
        return self.report

    def fail(self, case: int, text: str) -> None:
        self.report.failures.append(Failure(case, text))

    def run_case(self, case: Case) -> None:
        self.case = case
        self.transcript = []
        self.case_errors = {name: len(self.view(name).errors) for name in self.ids}
        pending: list[Sent] = []
        for index, step in enumerate(case.steps):
            if step.await_error is not None:
                self.await_error(step)
            if not step.pipelined or any(s.step.probe_set is None and s.settled is None for s in pending):
                self.finish(pending)
            pending.append(self.send(step, index))
        self.finish(pending)
        if case.settle:
            time.sleep(case.settle)
            self.frontend.drain()
        self.after_case(case)

    def await_error(self, step: Step) -> None:
        """Wait (a trailing flush runs on the kernel's background thread) for an error of that kind."""
        view = self.view(step.model)
        start = self.case_errors[step.model]
        with contextlib.suppress(AssertionError):  # check_unsendable reports it
            self.frontend.wait_for(lambda: any(e.get("kind") == step.await_error for e in view.errors[start:]), 2.0)

    def send(self, step: Step, index: int) -> Sent:
        view = self.view(step.model)
        model = self.oracle.models[step.model]
        if step.probe_set is not None:
            request = {"op": "set", "model": step.model, **step.probe_set}
            assert self.frontend.probe_id is not None
            msg_id = self.frontend.send_comm(self.frontend.probe_id, {**request, "tag": f"s{index}"}, [])
            for key, value in json.loads(step.probe_set["values"]).items():
                self.unseen[step.model][key] = "maybe" if same(model.values.get(key), value) else "yes"
                model.values[key] = value
            return Sent(step, index, msg_id)
        wire = as_received(step.data)
        in_flight = 1 if self.unseen[step.model] else 0

        def stale(key: str, base: Any) -> str:
            if type(base) is not int:
                return "no"
            unseen = self.unseen[step.model].get(key)
            if unseen == "yes" or view.changed_rev.get(key, 0) > base:
                return "yes"
            if unseen == "maybe" or max(view.sent_rev.get(key, 0), view.touched_rev.get(key, 0)) > base:
                return "maybe"
            return "no"

        session = self.frontend.other.session if step.session == "other" else self.frontend.kc.session.session
        expect = self.oracle.predict(model, wire, step.buffers, session, (view.rev, view.rev + in_flight), stale)
        msg_id = self.frontend.send_comm(view.model_id, step.data, step.buffers, other=step.session == "other")
        self.report.messages += 1
        sent = Sent(step, index, msg_id, expect, model)
        definite = len(expect.outcomes) == 1 and all(
            k.may_accept != bool(k.refuse) for k in expect.outcomes[0].keys.values()
        )
        if definite and expect.method == "update":
            outcome = expect.outcomes[0]
            sent.accepted = {k for k, e in outcome.keys.items() if e.may_accept}
            before = {k: model.values.get(k) for k in outcome.keys}
            self.oracle.settle(model, expect, outcome, session, sent.accepted)
            sent.settled = outcome
            for key in outcome.keys:
                changed = key in sent.accepted and not same(before[key], model.values.get(key))
                if changed or key not in self.unseen[step.model]:
                    self.unseen[step.model][key] = "yes" if changed else "maybe"
        return sent

    def finish(self, pending: list[Sent]) -> None:
        if not pending:
            return
        try:
            self.frontend.wait_for(lambda: all(s.msg_id in self.frontend.idle for s in pending), timeout=60)
        except AssertionError:
            alive = self.kernel.manager.is_alive()
            self.fail(self.number, f"no answer within 60 s (kernel alive: {alive}) to {short(pending[-1].step.data)}")
            raise
        for sent in pending:
            self.check(sent)
            self.frontend.by_parent.pop(sent.msg_id, None)
        pending.clear()
        self.unseen.clear()

    @property
    def number(self) -> int:
        return self.case.number if self.case is not None else 0

    # --- checking one answer -----------------------------------------------------------------

    def check(self, sent: Sent) -> None:
        step = sent.step
        replies = self.frontend.by_parent.get(sent.msg_id, [])
        self.transcript.append(f"sent to {step.model}: {short(step.probe_set or step.data, 500)}")
        self.transcript.extend(f"  got: {short(r.data, 500)}" for r in replies)
        if step.probe_set is not None:
            reply = self.frontend.probe_replies.pop(f"s{sent.index}", {})
            if step.probe_set.get("unsendable") and step.probe_set.get("hold") and "raised" not in reply:
                self.fail(
                    self.number, self.describe(sent, replies, "a lone surrogate set in hold_sync() did not raise")
                )
            return
        assert sent.expect is not None and sent.model is not None
        expect, model = sent.expect, sent.model
        mine = [r for r in replies if r.comm_id == model.model_id and isinstance(r.data, dict)]
        problems = self.entry_problems(mine)
        candidates = [sent.settled] if sent.settled is not None else expect.outcomes
        verdicts = [(o, self.match(expect, o, mine)) for o in candidates]
        matched = next(((o, acc) for o, (errs, acc) in verdicts if not errs), None)
        if matched is None:
            problems += [f"outcome {n + 1} ({o.why}): " + "; ".join(errs) for n, (o, (errs, _)) in enumerate(verdicts)]
        else:
            outcome, accepted = matched
            if sent.settled is None:
                session = self.frontend.other.session if step.session == "other" else self.frontend.kc.session.session
                self.oracle.settle(model, expect, outcome, session, accepted)
            if outcome.ack is not None:
                update = next(r for r in mine if r.data.get("ack") is not None)
                view = self.view(step.model)
                for key in accepted:
                    view.touched_rev[key] = update.data.get("rev", 0)
        refused = any(r.data.get("errors") for r in mine)
        ms = self.frontend.kernel_ms(sent.msg_id)
        label = f"case {self.number}: {step.note.strip() or (self.case.kind if self.case else '')}"
        if ms is not None:
            if refused:
                self.report.refusals += 1
                self.report.refusal_ms.append(ms)
                if ms > self.report.slowest_refusal[0]:
                    self.report.slowest_refusal = (ms, label)
            if ms > self.report.slowest_message[0]:
                self.report.slowest_message = (ms, label)
        for answer in mine:
            for entry in answer.data.get("errors", []) or []:
                if isinstance(entry, dict):
                    self.report.kinds[str(entry.get("kind"))] += 1
        if problems:
            self.fail(self.number, self.describe(sent, replies, "\n  ".join(problems)))

    def entry_problems(self, replies: list[Reply]) -> list[str]:
        problems = []
        for reply in replies:
            errors = reply.data.get("errors", [])
            if not isinstance(errors, list):
                problems.append(f"'errors' is not a list: {short(errors)}")
                continue
            for entry in errors:
                if not isinstance(entry, dict) or entry.get("kind") not in KINDS:
                    problems.append(f"malformed error entry {short(entry)}")
                    continue
                message = entry.get("message")
                if not isinstance(message, str) or len(message) > MAX_MESSAGE:
                    length = len(message) if isinstance(message, str) else type(message).__name__
                    problems.append(f"error message of {length} characters (at most {MAX_MESSAGE}): {short(message)}")
                if "traceback" in entry and entry["kind"] not in ("handler", "unsendable"):  # errors in user code
                    problems.append(f"a {entry['kind']} error carries a traceback: {short(entry['traceback'], 200)}")
        return problems

    def match(self, expect: Expect, outcome: Outcome, replies: list[Reply]) -> tuple[list[str], set[str]]:
        """Why these replies are not `outcome` (empty when they are), and the keys taken."""
        errs: list[str] = []
        methods = [r.data.get("method") for r in replies]
        errors = [e for r in replies for e in (r.data.get("errors") or []) if isinstance(e, dict)]
        acks = [r.data["ack"] for r in replies if r.data.get("method") == "update" and r.data.get("ack") is not None]
        if outcome.ack is not None:
            wanted = {"client": outcome.ack[0], "seq": outcome.ack[1]}
            if acks != [wanted]:
                errs.append(f"wanted one update acking {short(wanted, 120)}, got acks {short(acks, 200)}")
        else:
            guard = expect.no_ack_above
            for ack in acks:
                if guard is None or not isinstance(ack, dict) or ack.get("client") != guard[0]:
                    errs.append(f"an ack {short(ack, 120)} for a message that cannot be acknowledged")
                elif not isinstance(ack.get("seq"), int) or ack["seq"] > guard[1]:
                    errs.append(f"ack {short(ack, 120)} beyond the client's last acknowledged seq {guard[1]}")
        accepted: set[str] = set()
        if outcome.envelope:
            if not errors:
                errs.append(f"refused as a whole ({'/'.join(sorted(outcome.envelope))}) but no error came back")
            wrong = [e for e in errors if e.get("kind") not in outcome.envelope]
            if wrong:
                errs.append(f"error kinds {[e.get('kind') for e in wrong]} where {sorted(outcome.envelope)} was due")
            if expect.version_in_message and not any(PROTOCOL in str(e.get("message")) for e in errors):
                errs.append(f"a version error that does not say the kernel speaks {PROTOCOL}")
            return errs, accepted
        for entry in errors:
            key = entry.get("key")
            kind = entry.get("kind")
            if expect.handler_error and kind == "handler":
                continue
            if key not in outcome.keys:
                errs.append(f"unexpected error {short(entry, 200)}")
            elif kind not in outcome.keys[key].refuse:
                what = outcome.keys[key]
                due = f"refusal {sorted(what.refuse)}" if what.refuse else f"acceptance as {short(what.value, 120)}"
                errs.append(f"{key!r} refused as {kind} ({short(entry.get('message'), 160)}); {due} was due")
        refused_keys = {e.get("key") for e in errors}
        for key, what in outcome.keys.items():
            if key in refused_keys:
                continue
            if not what.may_accept:
                errs.append(f"{key!r} was not refused; {sorted(what.refuse)} was due ({what.why})")
            else:
                accepted.add(key)
        if expect.handler_error and not any(e.get("kind") == "handler" for e in errors):
            errs.append("the on_msg callback raised but no 'handler' error came back")
        if expect.method == "custom" and not expect.handler_error:
            customs = [r for r in replies if r.data.get("method") == "custom"]
            echoes = []
            for reply in customs:
                data = rfc6902.json_copy(reply.data)
                _, extra = insert_buffers(data, reply.buffers, extra_allowed=True)
                echoes.append((data.get("content"), extra))
            if not any(same(c, expect.echo) and e == expect.echo_buffers for c, e in echoes):
                echo = f"{short(expect.echo, 200)} + {len(expect.echo_buffers)} buffers"
                errs.append(f"wanted the echo {echo}, got {short(echoes, 300)}")
        if expect.wants_state:
            states = [r for r in replies if r.data.get("method") == "state"]
            if len(states) != 1:
                errs.append(f"wanted one 'state' message, got methods {methods}")
            else:
                ack = states[0].data.get("ack")
                if expect.state_ack is None:
                    if ack is not None:
                        errs.append(f"a state ack {short(ack, 120)} for a client with no acknowledged update")
                else:
                    client, low, high = expect.state_ack
                    if (
                        not isinstance(ack, dict)
                        or ack.get("client") != client
                        or not low <= ack.get("seq", -1) <= high
                    ):
                        errs.append(f"the state's ack is {short(ack, 120)}; wanted client {client} seq {low}..{high}")
        return errs, accepted

    def describe(self, sent: Sent, replies: list[Reply], problem: str) -> str:
        step = sent.step
        case = self.case
        data = step.probe_set if step.probe_set is not None else step.data
        lines = [
            f"seed {self.report.seed}, case {self.number} ({case.kind if case else ''}), step {sent.index + 1}"
            f"/{len(case.steps) if case else 0} on {step.model} from the {step.session} session: {step.note.strip()}",
            f"sent: {short(data, 700)}" + (f" + {len(step.buffers)} buffer(s)" if step.buffers else ""),
        ]
        if sent.expect is not None:
            for n, outcome in enumerate(sent.expect.outcomes):
                keys = {
                    k: (sorted(e.refuse), short(e.value, 80) if e.may_accept else "-", e.why)
                    for k, e in outcome.keys.items()
                }
                whole = ("refused as " + "/".join(sorted(outcome.envelope))) if outcome.envelope else ""
                lines.append(f"allowed {n + 1}: {whole} keys {short(keys, 500)} ack {outcome.ack} ({outcome.why})")
        for reply in replies:
            lines.append(
                f"got: {reply.kind} {short(reply.data, 600)}"
                + (f" + {len(reply.buffers)} buffer(s)" if reply.buffers else "")
            )
        if not replies:
            lines.append("got: no comm message")
        lines.append(f"problem: {problem}")
        return "\n  ".join(lines)

    # --- after every case ----------------------------------------------------------------------

    def after_case(self, case: Case) -> None:
        if self.frontend.unexpected:
            self.fail(case.number, "output reached IOPub:\n  " + "\n  ".join(self.frontend.unexpected[:5]))
            self.frontend.unexpected.clear()
        for name in self.ids:
            view = self.view(name)
            if view.problems:
                self.fail(case.number, f"{name}: " + "\n  ".join(view.problems[:5]))
                view.problems.clear()
            if view.needs_state:
                self.repair(name)
        if any(s.probe_set is not None and s.probe_set.get("unsendable") for s in case.steps):
            self.check_unsendable(case)
        dump = self.dump()
        for name in self.ids:
            self.compare(case, name, dump)

    def check_unsendable(self, case: Case) -> None:
        name = case.steps[0].model
        errors = self.view(name).errors[self.case_errors[name] :]
        if not any(e.get("kind") == "unsendable" and e.get("key") == "s" for e in errors):
            self.fail(
                case.number, f"{name}.s set to a lone surrogate from Python: no 'unsendable' error; got {short(errors)}"
            )

    def compare(self, case: Case, name: str, dump: dict[str, dict[str, Any]], retried: bool = False) -> None:
        model = self.oracle.models[name]
        kernel = dump[name]
        stored = [k for k in DUMPED if not same(kernel.get(k), model.values.get(k))]
        if stored:
            lines = [
                f"{k}: kernel vs oracle, at {first_difference(kernel.get(k), model.values.get(k))}" for k in stored
            ]
            lines += ["this case:", *self.transcript]
            self.fail(case.number, f"{name} holds other values than the oracle predicts:\n  " + "\n  ".join(lines))
            for k in stored:
                model.values[k] = rfc6902.json_copy(kernel.get(k))
        view = self.view(name)
        differ = [k for k in sorted(SYNC_KEYS) if not same(kernel.get(k), view.confirmed.get(k))]
        if differ and not retried:
            time.sleep(0.1)  # a trailing flush may still be on its way
            self.frontend.drain()
            self.compare(case, name, self.dump(), retried=True)
            return
        if differ:
            lines = [
                f"{k}: kernel vs view, at {first_difference(kernel.get(k), view.confirmed.get(k))}" for k in differ
            ]
            lines += ["this case:", *self.transcript]
            self.fail(case.number, f"{name}: the view and the kernel disagree (silently):\n  " + "\n  ".join(lines))
            self.repair(name)

    def repair(self, name: str) -> None:
        """request_state: the browser's only way to get back in step."""
        self.report.repairs += 1
        view = self.view(name)
        view.needs_state = True
        msg_id = self.frontend.send_comm(
            view.model_id, {"protocol": PROTOCOL, "method": "request_state", "client": self.main_client}, []
        )
        self.frontend.wait_for(lambda: msg_id in self.frontend.idle and not view.needs_state, timeout=30)
        self.frontend.by_parent.pop(msg_id, None)
