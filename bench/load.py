"""Load benchmark: hundreds of patients writing at once to the real bot process over HTTP.

Run with ``python -m bench.load`` (``--quick`` for 50 patients, ``--patients N`` otherwise;
500 by default), or ``python -m bench`` for every benchmark. Not part of the tests: numbers
depend on the machine.

Set-up. The bot is the unmodified ``python -m bot run`` in a process of its own (long
polling, settings from the environment: ``TELEGRAM_API_BASE_URL`` points at the loopback fake
Bot API server of tests/fakes/bot_api.py, which runs in this process; a temporary
``DATABASE_PATH``; ``STAFF_CHAT_ID`` is a group known to the fake where the bot may post).
Each simulated patient is a distinct Telegram user writing in their own private chat. All
start within ``START_SPREAD_S`` seconds; each performs 4 to 6 actions drawn from a mix (70 %
FAQ questions from tests/data/faq_tuning.yaml, in varied French including SMS spelling; 10 %
out-of-scope questions from the same file; 10 % button presses; 5 % urgent messages from
tests/data/triage_eval.yaml; 5 % greetings). A button press uses a button the bot sent this
patient (``faq:<id>`` under an answer or a "did you mean", ``thm:<n>`` under a theme list);
a patient without such a button yet first sends ``/questions`` (counted as a message) and
then presses a theme. Urgent messages are each patient's last ones: after an urgent message
an alert is open and the bot forwards the patient's other messages to staff instead of
answering them, which would change the mix. A patient waits for the reply to a message, reads
for a random 1-4 s (``THINK_S``) and goes on: at most 7 messages each, far below the bot's
flood limit (bot/throttle.py: 20 messages per 60 s per chat), so every message must get
exactly one reply. The content files (FAQ, triage rules, plan) are copied to a temporary
folder first and both the bot and this bench read the copies, so an edit made while the
bench runs is not hot-reloaded by the bot in the middle of the load.

Metrics:

* handled messages per second: replies received / (first message -> last reply), and the
  sustained rate between the 10th and the 90th percentile of reply times (no ramp-up);
* time from message to reply: from just before the update is injected into the fake (it is
  then visible to the bot's pending ``getUpdates``) to the moment the fake stores the bot's
  ``sendMessage`` for that chat (fake-side clock, this process): median and p99 (nearest
  rank), overall and per kind of action;
* correctness: replies expected / received, messages without a reply within ``--timeout``
  seconds (must be 0), duplicate replies (must be 0), and replies whose text differs from
  what the conversation core (bot/conversation.py, loaded here on the same content files)
  gives for that message or button (must be 0);
* the bot process only: CPU time (utime + stime of /proc/<pid>/stat, every thread of the
  process) over the load divided by the messages handled; its CPU use in % of one core; its
  resident memory after start-up (VmRSS) and its peak (VmHWM of /proc/<pid>/status);
* staff alerts: posts the urgent messages must produce in the staff group (one alert, plus
  one follow-up post per further urgent message of the same patient), delivered during the
  run, left queued in the outbox at exit (read from the database after exit) and lost;
* shutdown: SIGTERM after the last reply; time to exit (``--exit-timeout``, then SIGKILL)
  and exit code (must be 0), and the staff posts the bot still sent meanwhile.

``--telegram-ms`` makes the fake answer ``sendMessage`` and ``answerCallbackQuery`` that much
later (the fake answers in well under a millisecond, Telegram in tens of milliseconds).

Where the time goes. ``python -m bot run`` fetches updates by long polling and handles them
one at a time (ptb's ``concurrent_updates`` is off), each handler awaiting its
``sendMessage``, through ptb's AIORateLimiter (30 messages/s for the whole bot, 20/min per
group). Against the instant fake, the 30/s limiter is the bound, far below what the bot's
CPU allows; with a realistic answer time, one round trip per message is: the rate is then
about 1 / (answer time + CPU per message). With every patient writing at once, the reply time
is the wait in that queue (about patients / rate - think time), the same for urgent messages.
Staff posts are paced by the 20/min group limit; the dispatcher's tick holds until its
claimed batch is out, and the JobQueue waits for the running tick at shutdown.

The bot, not the fake server, is what is measured: the bot's CPU and memory are read from
its own process in /proc, so the fake server and the load generator (both in this process)
do not count in them; this process's own CPU (``getrusage``; the load generator's share is
its main thread's ``thread_time``, the rest is the fake's HTTP threads) is reported beside
them, with the fake's own time to answer ``sendMessage`` (inside its HTTP handler), so the
reader sees where the time goes. Both processes share the machine's cores: on a small
machine the fake's CPU competes with the bot's, which can only lengthen the measured times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config import PROJECT_ROOT, load_settings
from bot.content import load_conversation
from bot.conversation import CB_FAQ, CB_OTHER, CB_THEME, CB_THEMES, Conversation
from bot.throttle import MAX_MESSAGES, WINDOW_S
from bot.yamlfile import load_yaml
from tests.fakes.bot_api import FakeBotAPI

JSONDict = dict[str, Any]

TOKEN = "123456:LOAD-BENCH-abcdefghij"
BOT_ID = 123456
STAFF_CHAT = -1001234567890
HOTLINE = "01 46 41 00 00"
FIRST_PATIENT = 7_000_000
FAQ_EVAL = PROJECT_ROOT / "tests" / "data" / "faq_tuning.yaml"
TRIAGE_EVAL = PROJECT_ROOT / "tests" / "data" / "triage_eval.yaml"

DEFAULT_PATIENTS = 500
QUICK_PATIENTS = 50
MIX: tuple[tuple[str, int], ...] = (
    ("faq", 70),
    ("out_of_scope", 10),
    ("button", 10),
    ("urgent", 5),
    ("greeting", 5),
)
ACTIONS_PER_PATIENT = (4, 6)
START_SPREAD_S = 2.0
THINK_S = (1.0, 4.0)
IDLE_MEASURE_S = 2.0
READY_TIMEOUT_S = 60.0

KIND_ORDER = ("faq", "out_of_scope", "greeting", "button", "command", "urgent")
KIND_LABEL = {
    "faq": "FAQ question",
    "out_of_scope": "out-of-scope question",
    "greeting": "greeting / thanks",
    "button": "button press",
    "command": "/questions",
    "urgent": "urgent message",
}


# --- the fake server, timing what the bot sends ------------------------------------------


@dataclass
class Arrival:
    at: float  # time.monotonic() when the fake stored the bot's message
    message: JSONDict


class TimedFake(FakeBotAPI):
    """The fake Bot API server, noting when each bot message arrives and how long it takes
    to answer each method (inside its HTTP handler, long polls excluded)."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN, bot_username="releveurs_load_bot", bot_id=BOT_ID)
        self.arrivals: dict[int, list[Arrival]] = {}
        self.on_message: Callable[[int], None] | None = None
        self.service: dict[str, list[float]] = {}
        self.batches: list[int] = []  # sizes of non-empty getUpdates answers
        self.polling = threading.Event()

    def _store_bot_message(
        self,
        chat: JSONDict,
        params: JSONDict,
        content: JSONDict,
        kind: str,
        raw_text: str | None,
        markup: JSONDict | None,
        **file_info: Any,
    ) -> JSONDict:
        message = super()._store_bot_message(
            chat, params, content, kind, raw_text, markup, **file_info
        )
        chat_id = int(chat["id"])
        self.arrivals.setdefault(chat_id, []).append(Arrival(time.monotonic(), message))
        if self.on_message is not None:
            self.on_message(chat_id)
        return message

    def _handle_http(
        self,
        raw_path: str,
        content_type: str,
        body: bytes,
        client_gone: Callable[[], bool] = lambda: False,
    ) -> tuple[int, JSONDict] | None:
        method = urlsplit(raw_path).path.rsplit("/", 1)[-1]
        if method == "getUpdates":
            self.polling.set()  # the bot is ready as soon as it asks for updates
        start = time.perf_counter()
        answer = super()._handle_http(raw_path, content_type, body, client_gone)
        elapsed = time.perf_counter() - start
        if method == "getUpdates":
            if answer is not None and isinstance(answer[1].get("result"), list):
                size = len(answer[1]["result"])
                if size:
                    self.batches.append(size)
        else:
            self.service.setdefault(method, []).append(elapsed)
        return answer

    def count(self, chat_id: int) -> int:
        return len(self.arrivals.get(chat_id, ()))


# --- what patients write --------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    kind: str  # the core's reply kind (answer, clarify, fallback, urgent, smalltalk, info)
    text: str


@dataclass
class Pools:
    faq: list[str]
    out_of_scope: list[str]
    greeting: list[str]
    urgent: list[str]
    replies: dict[str, Expected]  # text or button data -> what the core answers


def build_pools(conv: Conversation) -> Pools:
    """Messages by kind, each checked against the core (an in-scope question the triage
    would flag goes nowhere: it would open an alert in the middle of a script)."""
    replies: dict[str, Expected] = {}

    def expect(text: str) -> Expected:
        if text not in replies:
            reply = conv.respond(text)
            replies[text] = Expected(reply.kind, reply.text)
        return replies[text]

    faq: list[str] = []
    out: list[str] = []
    greeting: list[str] = []
    for item in load_yaml(FAQ_EVAL):
        text, target = str(item["text"]), item.get("expect")
        kind = expect(text).kind
        if kind == "urgent":
            continue
        if target == "smalltalk":
            greeting.append(text)
        elif target is None:
            out.append(text)
        else:
            faq.append(text)
    triage = load_yaml(TRIAGE_EVAL)
    urgent = [str(i["text"]) for i in triage["urgent"] if expect(str(i["text"])).kind == "urgent"]
    replies["/questions"] = Expected("info", conv.themes().text)
    replies[CB_OTHER] = Expected("info", conv.other_question().text)
    replies[CB_THEMES] = Expected("info", conv.themes().text)
    for index in range(len(conv.faq.themes)):
        theme = conv.theme(index)
        assert theme is not None
        replies[f"{CB_THEME}{index}"] = Expected("info", theme.text)
    for entry in conv.faq.entries:
        replies[f"{CB_FAQ}{entry.id}"] = Expected("answer", conv.answer(entry).text)
    return Pools(faq, out, greeting, urgent, replies)


def usable_button(data: str) -> bool:
    """Buttons a patient may press here: FAQ answers and themes (not "pass to the team",
    which would raise a staff question for every press)."""
    return data.startswith((CB_FAQ, CB_THEME))


@dataclass
class PatientPlan:
    user_id: int
    start: float
    actions: list[tuple[str, str]]  # (kind, text); a button's text is chosen at run time
    thinks: list[float]
    rng: random.Random


def plan_patients(n: int, pools: Pools, seed: int) -> list[PatientPlan]:
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    pool_of = {
        "faq": pools.faq,
        "out_of_scope": pools.out_of_scope,
        "greeting": pools.greeting,
        "urgent": pools.urgent,
    }
    plans: list[PatientPlan] = []
    for i in range(n):
        rng = random.Random(seed * 1_000_003 + i)
        drawn = rng.choices(kinds, weights, k=rng.randint(*ACTIONS_PER_PATIENT))
        # Urgent messages last (see the module docstring); the order is otherwise random.
        drawn = [k for k in drawn if k != "urgent"] + [k for k in drawn if k == "urgent"]
        actions = [(k, rng.choice(pool_of[k]) if k in pool_of else "") for k in drawn]
        thinks = [rng.uniform(*THINK_S) for _ in range(len(actions) + 1)]
        plans.append(
            PatientPlan(FIRST_PATIENT + i, rng.uniform(0, START_SPREAD_S), actions, thinks, rng)
        )
    return plans


# --- running the load -------------------------------------------------------------------------


@dataclass
class Sample:
    user_id: int
    kind: str
    reply_kind: str
    sent_at: float
    index: int  # this message's rank in its chat, so its reply is the bot's index-th there
    latency: float | None = None  # None: no reply within the timeout
    as_expected: bool = False


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    expected_per_chat: dict[int, int] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0


class Load:
    def __init__(self, fake: TimedFake, pools: Pools, timeout: float) -> None:
        self.fake = fake
        self.pools = pools
        self.timeout = timeout
        self.result = LoadResult()
        self.events: dict[int, asyncio.Event] = {}

    async def run(self, plans: Sequence[PatientPlan]) -> LoadResult:
        loop = asyncio.get_running_loop()
        self.events = {p.user_id: asyncio.Event() for p in plans}

        def notify(chat_id: int) -> None:  # called in the fake's HTTP threads
            event = self.events.get(chat_id)
            if event is not None:
                loop.call_soon_threadsafe(event.set)

        self.fake.on_message = notify
        self.result.started = time.monotonic()
        try:
            await asyncio.gather(*(self.patient(p) for p in plans))
        finally:
            self.fake.on_message = None
        self.result.finished = time.monotonic()
        return self.result

    async def patient(self, plan: PatientPlan) -> None:
        await asyncio.sleep(plan.start)
        uid = plan.user_id
        for step, (kind, text) in enumerate(plan.actions):
            if step:
                await asyncio.sleep(plan.thinks[step])
            if kind == "button":
                target = self.button_message(uid)
                if target is None:
                    if not await self.send(uid, "command", "/questions"):
                        return
                    await asyncio.sleep(plan.thinks[-1])
                    target = self.button_message(uid)
                    assert target is not None
                message_id, buttons = target
                data = plan.rng.choice(buttons)
                ok = await self.send(uid, "button", data, message_id)
            else:
                ok = await self.send(uid, kind, text)
            if not ok:
                return  # replies could no longer be paired with messages

    def button_message(self, uid: int) -> tuple[int, list[str]] | None:
        """The latest bot message in this chat with buttons a patient may press."""
        for arrival in reversed(self.fake.arrivals.get(uid, [])):
            buttons = [d for _, d in FakeBotAPI.buttons(arrival.message) if usable_button(d)]
            if buttons:
                return int(arrival.message["message_id"]), buttons
        return None

    async def send(self, uid: int, kind: str, text: str, message_id: int | None = None) -> bool:
        """Inject one update and wait for its reply; False if none came in time."""
        expected = self.pools.replies[text]
        count = self.result.expected_per_chat.get(uid, 0) + 1
        self.result.expected_per_chat[uid] = count
        sample = Sample(uid, kind, expected.kind, time.monotonic(), count)
        if message_id is None:
            self.fake.send_text(uid, text)
        else:
            self.fake.press_button(uid, (uid, message_id), text)
        self.result.samples.append(sample)
        event = self.events[uid]
        deadline = sample.sent_at + self.timeout
        while True:
            event.clear()
            if self.fake.count(uid) >= count:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        arrival = self.fake.arrivals[uid][count - 1]
        sample.latency = arrival.at - sample.sent_at
        sample.as_expected = arrival.message.get("text") == expected.text
        return True


# --- the bot process -----------------------------------------------------------------------


def copy_content(dest: Path) -> dict[str, str]:
    """A private copy of the content files, as settings: the FAQ or triage rules being edited
    while the bench runs must not be reloaded by the bot in the middle of the load."""
    paths = {
        "FAQ_DIR": ("faq", True),
        "SOURCE_DIR": ("data/source", True),
        "REMINDER_PLAN": ("data/reminders.yaml", False),
        "TRIAGE_RULES": ("data/triage.yaml", False),
    }
    env: dict[str, str] = {}
    for name, (relative, is_dir) in paths.items():
        source, target = PROJECT_ROOT / relative, dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if is_dir:
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
        env[name] = str(target)
    return env


def bot_environment(fake: FakeBotAPI, db_path: Path, content: dict[str, str]) -> dict[str, str]:
    """Settings of the bot process; everything it reads is set here, so that a developer's
    .env cannot change what is measured."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "HOTLINE", "STAFF_", "ESCALATION_", "LOG_LEVEL"))
    }
    return {
        **inherited,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "STAFF_USER_IDS": "",
        "HOTLINE_PHONE": HOTLINE,
        "DATA_CONTROLLER": "Hôpital (banc d'essai)",
        "DPO_CONTACT": "dpo@exemple.invalid",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(db_path),
        **content,
        "TIMEZONE": "Europe/Paris",
        "LOG_LEVEL": "INFO",
        "ESCALATION_RENOTIFY_MINUTES": "10",
        "ESCALATION_MAX_RENOTIFY": "3",
        "RETENTION_DAYS": "90",
    }


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


@dataclass
class BenchCpu:
    total: float  # this process, every thread (getrusage)
    generator: float  # the main thread: the load generator's event loop

    @staticmethod
    def now() -> BenchCpu:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return BenchCpu(usage.ru_utime + usage.ru_stime, time.thread_time())

    def __sub__(self, other: BenchCpu) -> BenchCpu:
        return BenchCpu(self.total - other.total, self.generator - other.generator)


def wait_ready(fake: TimedFake, proc: subprocess.Popen[bytes], log: Path) -> float:
    start = time.monotonic()
    while not fake.polling.wait(0.05):
        if proc.poll() is not None:
            raise SystemExit(f"the bot exited with {proc.returncode} at start-up:\n{tail(log)}")
        if time.monotonic() - start > READY_TIMEOUT_S:
            raise SystemExit(f"the bot did not start polling in {READY_TIMEOUT_S:.0f} s")
    return time.monotonic() - start


def tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def log_problems(path: Path) -> Counter[str]:
    """Warning and error lines of the bot's log, by level and logger."""
    counts: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("WARNING", "ERROR", "CRITICAL"):
            counts[f"{parts[2]} {parts[3].rstrip(':')}"] += 1
        elif line.startswith("Traceback"):
            counts["Traceback"] += 1
    return counts


@dataclass
class Outbox:
    alerts: int  # rows of the alerts table
    staff_posts: Counter[str]  # alert and follow-up posts to the staff group, by status
    staff_sent: int  # every row sent to the staff group (alerts, follow-ups, notices)


def outbox_state(db_path: Path) -> Outbox:
    """What the database says about staff posts, read after the bot exited."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        alerts = int(db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
        rows = db.execute(
            "SELECT status, COUNT(*) FROM outbox WHERE chat_id = ?"
            " AND purpose IN ('alert', 'followup') GROUP BY status",
            (STAFF_CHAT,),
        ).fetchall()
        sent = int(
            db.execute(
                "SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND status = 'sent'", (STAFF_CHAT,)
            ).fetchone()[0]
        )
    finally:
        db.close()
    return Outbox(alerts, Counter({str(status): int(n) for status, n in rows}), sent)


# --- report -------------------------------------------------------------------------------------


def quantiles(samples: Sequence[float]) -> tuple[float, float]:
    """Median and p99 (nearest rank)."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def max_in_window(times: Sequence[float], window: float) -> int:
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] > window:
            first += 1
        best = max(best, last - first + 1)
    return best


@dataclass(frozen=True)
class Options:
    patients: int
    seed: int
    timeout: float
    exit_timeout: float
    telegram_ms: float
    bot_log: Path | None


@dataclass
class Measures:
    opts: Options
    load: LoadResult
    ready_s: float
    idle_cpu: float  # bot CPU s per s while idle
    bot_cpu: float
    rss_start_kib: int
    rss_end_kib: int
    hwm_kib: int
    bench_cpu: BenchCpu
    staff_during: int
    staff_at_term: int
    staff_at_exit: int
    outbox: Outbox
    exit_s: float
    exit_code: int | None
    log: Counter[str]
    late: int
    extra: int
    service: dict[str, list[float]]
    batches: list[int]


def report(m: Measures) -> tuple[str, bool]:
    samples = m.load.samples
    answered = [s for s in samples if s.latency is not None]
    missing = len(samples) - len(answered)
    wrong = sum(1 for s in answered if not s.as_expected)
    latencies = [s.latency for s in answered if s.latency is not None]
    reply_times = sorted(s.sent_at + s.latency for s in answered if s.latency is not None)
    span = (reply_times[-1] - m.load.started) if reply_times else 0.0
    rate = len(answered) / span if span > 0 else 0.0
    lo, hi = int(0.1 * len(reply_times)), int(0.9 * len(reply_times))
    mid_span = reply_times[hi - 1] - reply_times[lo] if hi - 1 > lo else 0.0
    sustained = (hi - 1 - lo) / mid_span if mid_span > 0 else 0.0
    med, p99 = quantiles(latencies) if latencies else (0.0, 0.0)
    handled = max(len(answered), 1)
    wall = m.load.finished - m.load.started
    kinds = Counter(s.kind for s in samples)
    urgent_messages = kinds["urgent"]
    posts = m.outbox.staff_posts
    queued = sum(n for status, n in posts.items() if status != "sent")
    lost = urgent_messages - sum(posts.values())
    per_chat: dict[int, list[float]] = {}
    for s in samples:
        per_chat.setdefault(s.user_id, []).append(s.sent_at)
    flood = max((max_in_window(t, WINDOW_S) for t in per_chat.values()), default=0)
    send = m.service.get("sendMessage", [])
    send_med, send_p99 = quantiles(send) if send else (0.0, 0.0)
    generator = m.bench_cpu.generator
    fake_cpu = m.bench_cpu.total - generator
    problems = ", ".join(f"{k} x{n}" for k, n in sorted(m.log.items())) or "none"
    ok = (
        missing == 0
        and wrong == 0
        and m.extra == 0
        and lost == 0
        and m.staff_at_exit >= m.outbox.staff_sent
        and m.exit_code == 0
        and flood <= MAX_MESSAGES
    )
    mix = ", ".join(f"{KIND_LABEL[k]} {kinds[k]}" for k in KIND_ORDER if kinds[k])
    rows = [
        ("patients (distinct users, private chats)", f"{m.opts.patients}"),
        ("messages sent", f"{len(samples)} ({mix})"),
        (
            "most messages from one patient in 60 s",
            f"{flood} (flood limit {MAX_MESSAGES} per {WINDOW_S:.0f} s)",
        ),
        (
            "replies received / expected",
            f"{len(answered)} / {len(samples)}; without reply within the timeout: {missing}"
            f" (late: {m.late}); duplicates: {m.extra}",
        ),
        ("replies not what the core answers to that message", f"{wrong}"),
        (
            "handled messages per second",
            f"{rate:.1f}/s ({len(answered)} in {span:.1f} s, first message to last reply); "
            f"sustained (10th-90th percentile reply) {sustained:.1f}/s",
        ),
        ("time from message to reply, median / p99", f"{fmt_s(med)} / {fmt_s(p99)}"),
        (
            "bot CPU per handled message",
            f"{1000 * m.bot_cpu / handled:.1f} ms ({m.bot_cpu:.2f} s user+sys over the load)",
        ),
        (
            "bot CPU use during the load",
            f"{100 * m.bot_cpu / wall:.0f} % of one core (idle: {100 * m.idle_cpu:.1f} %)",
        ),
        (
            "bot memory: after start-up / end of load / peak (VmHWM)",
            f"{m.rss_start_kib / 1024:.0f} / {m.rss_end_kib / 1024:.0f} / "
            f"{m.hwm_kib / 1024:.0f} MiB",
        ),
        ("bot start-up (process start to first getUpdates)", f"{m.ready_s:.1f} s"),
        (
            "this process (fake server + load generator) CPU",
            f"{m.bench_cpu.total:.2f} s = {100 * m.bench_cpu.total / wall:.0f} % of one core "
            f"(fake's HTTP threads {fake_cpu:.2f} s, load generator {generator:.2f} s)",
        ),
        (
            "fake's own time to answer sendMessage, median / p99",
            f"{send_med * 1000:.2f} / {send_p99 * 1000:.2f} ms ({len(send)} calls"
            + (f", {m.opts.telegram_ms:g} ms simulated included)" if m.opts.telegram_ms else ")"),
        ),
        (
            "updates per getUpdates answer, mean / max",
            f"{statistics.mean(m.batches):.1f} / {max(m.batches)}" if m.batches else "-",
        ),
        (
            "staff posts for urgent messages: expected / delivered during the load / "
            "delivered by exit / queued in outbox at exit / lost",
            f"{urgent_messages} / {m.staff_during} / {posts['sent']} / {queued} / {lost} "
            f"({m.outbox.alerts} alerts + {urgent_messages - m.outbox.alerts} follow-ups; "
            f"staff group messages at the fake {m.staff_at_exit}, sent per database "
            f"{m.outbox.staff_sent})",
        ),
        (
            "SIGTERM (after the last reply) to exit",
            (
                f"{m.exit_s:.1f} s, exit code {m.exit_code}"
                if m.exit_code is not None
                else f"no exit within {m.opts.exit_timeout:.0f} s (killed)"
            )
            + f"; staff posts sent meanwhile: {m.staff_at_exit - m.staff_at_term}",
        ),
        ("bot log warnings / errors", problems),
    ]
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += [
        "",
        "| what the patient did | messages | core reply kinds | median | p99 |",
        "|---|---|---|---|---|",
    ]
    for kind in KIND_ORDER:
        part = [s for s in samples if s.kind == kind]
        if not part:
            continue
        times = [s.latency for s in part if s.latency is not None]
        kmed, kp99 = quantiles(times) if times else (0.0, 0.0)
        replies = Counter(s.reply_kind for s in part)
        shown = ", ".join(f"{k} {n}" for k, n in replies.most_common())
        lines.append(
            f"| {KIND_LABEL[kind]} | {len(part)} | {shown} | {fmt_s(kmed)} | {fmt_s(kp99)} |"
        )
    lines.append("")
    lines.append("Result: " + ("OK" if ok else "FAILED (see the rows above)"))
    return "\n".join(lines), ok


# --- main -----------------------------------------------------------------------------------------


def run(opts: Options) -> tuple[str, bool]:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, TimedFake() as fake:
        content = copy_content(Path(tmp))
        settings = load_settings(env_file=None, environ={"HOTLINE_PHONE": HOTLINE, **content})
        pools = build_pools(load_conversation(settings))
        plans = plan_patients(opts.patients, pools, opts.seed)
        fake.add_group(STAFF_CHAT, "Équipe radiologie")
        for plan in plans:
            fake.add_user(plan.user_id, "Patient")
        if opts.telegram_ms > 0:
            for method in ("sendMessage", "answerCallbackQuery"):
                fake.add_fault(method, 200, delay=opts.telegram_ms / 1000, times=10**9)
        db_path = Path(tmp) / "bot.db"
        log_path = opts.bot_log or Path(tmp) / "bot.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                env=bot_environment(fake, db_path, content),
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            ready_s = wait_ready(fake, proc, log_path)
            idle_start = cpu_seconds(proc.pid)
            time.sleep(IDLE_MEASURE_S)
            cpu_before = cpu_seconds(proc.pid)
            idle_cpu = (cpu_before - idle_start) / IDLE_MEASURE_S
            rss_start = memory_kib(proc.pid)["VmRSS"]
            bench_before = BenchCpu.now()
            load = asyncio.run(Load(fake, pools, opts.timeout).run(plans))
            bench_cpu = BenchCpu.now() - bench_before
            bot_cpu = cpu_seconds(proc.pid) - cpu_before
            memory = memory_kib(proc.pid)
            staff_during = fake.count(STAFF_CHAT)
            time.sleep(0.5)  # anything that would come late or twice
            extra = sum(max(0, fake.count(uid) - n) for uid, n in load.expected_per_chat.items())
            late = sum(
                1 for s in load.samples if s.latency is None and fake.count(s.user_id) >= s.index
            )
            staff_at_term = fake.count(STAFF_CHAT)
            stop_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                exit_code: int | None = proc.wait(timeout=opts.exit_timeout)
            except subprocess.TimeoutExpired:
                exit_code = None
            exit_s = time.monotonic() - stop_at
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        outbox = outbox_state(db_path)
        measures = Measures(
            opts=opts,
            load=load,
            ready_s=ready_s,
            idle_cpu=idle_cpu,
            bot_cpu=bot_cpu,
            rss_start_kib=rss_start,
            rss_end_kib=memory["VmRSS"],
            hwm_kib=memory["VmHWM"],
            bench_cpu=bench_cpu,
            staff_during=staff_during,
            staff_at_term=staff_at_term,
            staff_at_exit=fake.count(STAFF_CHAT),
            outbox=outbox,
            exit_s=exit_s,
            exit_code=exit_code,
            log=log_problems(log_path),
            late=late,
            extra=extra,
            service=fake.service,
            batches=fake.batches,
        )
    return report(measures)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--patients", type=int, default=DEFAULT_PATIENTS, help="simulated patients (500)"
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PATIENTS} patients")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the scripts (1)")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for each reply (120)"
    )
    parser.add_argument(
        "--exit-timeout",
        type=float,
        default=300.0,
        help="seconds the bot gets to exit after SIGTERM before it is killed (300)",
    )
    parser.add_argument(
        "--telegram-ms",
        type=float,
        default=0.0,
        help="simulated Telegram answer time for sendMessage and answerCallbackQuery, in ms "
        "(0: the fake answers at once, well under a millisecond)",
    )
    parser.add_argument("--bot-log", type=Path, help="keep the bot's log (stderr) in this file")
    args = parser.parse_args(argv)
    patients = QUICK_PATIENTS if args.quick else args.patients
    if patients < 1:
        parser.error("--patients must be at least 1")
    opts = Options(
        patients, args.seed, args.timeout, args.exit_timeout, args.telegram_ms, args.bot_log
    )
    answer = f", Telegram answering in {opts.telegram_ms:g} ms" if opts.telegram_ms else ""
    print(f"## Load: {patients} patients writing at once to `python -m bot run`{answer}\n")
    table, ok = run(opts)
    print(table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
