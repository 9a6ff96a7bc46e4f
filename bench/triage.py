"""Triage benchmark: per evaluation round, what the rules catch and false alarms, and latency.

Run with ``python -m bench.triage``. Rounds: ``tests/data/triage_eval.yaml`` (the tuning set,
rounds 1-3 folded in) and ``tests/data/triage_round4.yaml`` (held out, measured once before
its fixes: 127/169 urgent caught = 75.1 %, 42/160 false alarms = 26.2 %; numbers printed
here are after the fixes, so on round 4 they are a floor, not a measure of generalisation).
``tests/data/triage_round5.yaml`` was written blind on 2026-12-04 and measured once before its
fixes (rules alone: 155/204 caught = 76.0 %, 36/200 false alarms = 18.0 %; then with the safety
net, which never saw it: 174/204 = 85.3 %, 19 caught only by the net, 37/200 false alarms of
which 1 from the net). Its header keeps those numbers; what is printed after rule fixes is
again a floor. Rounds 6 and 7 were written blind at the same time by two writers who never
saw each other's file (see their headers). Round 6 was measured once and fixed (before: 178/200
caught = 89.0 %, rules 158 + net 20, 39/200 false alarms = 19.5 %); only then was round 7
measured once (180/200 = 90.0 %, rules 177 + net 3; 21/200 false alarms = 10.5 %) and fixed.

Everything goes through ``Conversation.respond``, as in ``python -m bot ask``: an urgent
message counts as caught when the reply is kind "urgent" and gives the hospital line.
Layers: the rules (with their context) alert first; the learned safety net
(:mod:`bot.triage.net`) is asked only when the rules found nothing and the rest of the
pipeline would fall back or ask to clarify. "Net only" counts urgent messages the rules missed
and the net caught; false alarms are split the same way. Then the net's own cost: load time,
memory, latency.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bot.config import load_settings
from bot.content import load_conversation
from bot.conversation import Conversation, Reply
from bot.triage.net import WEIGHTS_PATH, load_net

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = {
    "tuning (triage_eval.yaml)": ROOT / "tests" / "data" / "triage_eval.yaml",
    "round 4 (after fixes)": ROOT / "tests" / "data" / "triage_round4.yaml",
    "round 5 (after fixes)": ROOT / "tests" / "data" / "triage_round5.yaml",
    "round 6 (after fixes)": ROOT / "tests" / "data" / "triage_round6.yaml",
    "round 7 (after fixes)": ROOT / "tests" / "data" / "triage_round7.yaml",
}


def _items(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    calm = data.get("lookalike") or data.get("non_urgent") or []
    calm = [c if isinstance(c, dict) else {"text": c} for c in calm]
    return list(data["urgent"]), calm


def _layer(reply: Reply) -> str | None:
    """Which layer alerted for this reply: "rules", "net" or None."""
    if reply.kind != "urgent" or reply.triage is None:
        return None
    return "net" if reply.triage.net_only else "rules"


def measure(conv: Conversation, path: Path) -> dict[str, Any]:
    urgent, calm = _items(path)
    caught = 0
    net_only = 0
    missed: Counter[str] = Counter()
    for item in urgent:
        reply = conv.respond(item["text"])
        layer = _layer(reply)
        if layer is not None and conv.hotline in reply.text:
            caught += 1
            net_only += layer == "net"
        else:
            missed[item.get("style", item.get("category", "?"))] += 1
    calm_replies = [conv.respond(c["text"]) for c in calm]
    kinds = Counter(r.kind for r in calm_replies)
    alarms = Counter(_layer(r) for r in calm_replies)
    concern_expected = [c for c in calm if c.get("concern")]
    # The note reaches the staff: a plain note, or with the answer or a warm word before it.
    concern_ok = sum(conv.respond(c["text"]).staff_note for c in concern_expected)
    return {
        "urgent": len(urgent),
        "caught": caught,
        "net_only": net_only,
        "missed": dict(missed),
        "calm": len(calm),
        "alarms": kinds["urgent"],
        "alarms_rules": alarms["rules"],
        "alarms_net": alarms["net"],
        "kinds": dict(kinds),
        "concern": (concern_ok, len(concern_expected)),
    }


def latency(conv: Conversation, texts: list[str], passes: int = 5) -> tuple[float, float]:
    times: list[float] = []
    for _ in range(passes):
        for text in texts:
            start = time.perf_counter()
            conv.triage.analyse(text)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def main(argv: list[str] | None = None) -> int:
    conv = load_conversation(load_settings(None, {}))
    texts: list[str] = []
    print("== triage: per round, through Conversation.respond ==")
    for name, path in ROUNDS.items():
        r = measure(conv, path)
        urgent, calm = _items(path)
        texts += [i["text"] for i in urgent] + [c["text"] for c in calm]
        rules = r["caught"] - r["net_only"]
        print(
            f"{name}: urgent {r['urgent']}: caught by rules {rules}, only by the net "
            f"{r['net_only']}, missed by both {r['urgent'] - r['caught']} "
            f"(recall {100 * r['caught'] / r['urgent']:.1f} %); false alarms "
            f"{r['alarms']}/{r['calm']} ({100 * r['alarms'] / r['calm']:.1f} %): "
            f"rules {r['alarms_rules']}, net {r['alarms_net']}"
        )
        if r["missed"]:
            print(f"   missed by style: {r['missed']}")
        print(f"   look-alike replies by kind: {r['kinds']}")
        if r["concern"][1]:
            print(f"   note to the staff where expected: {r['concern'][0]}/{r['concern'][1]}")
    med, p99 = latency(conv, texts)
    print(
        f"triage.analyse latency over {len(texts)} messages x5: "
        f"median {med:.3f} ms, p99 {p99:.3f} ms"
    )
    net_cost(texts)
    return 0


def net_cost(texts: list[str], passes: int = 5) -> None:
    """The safety net alone: load time and memory of its weights, scoring latency."""
    tracemalloc.start()
    start = time.perf_counter()
    net = load_net(WEIGHTS_PATH)
    load_ms = (time.perf_counter() - start) * 1000
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times: list[float] = []
    for _ in range(passes):
        for text in texts:
            t0 = time.perf_counter()
            net.judge(text)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(
        f"safety net: file {WEIGHTS_PATH.stat().st_size / 1024:.0f} KiB, load {load_ms:.1f} ms, "
        f"peak memory while loading {peak / 2**20:.1f} MiB, threshold {net.threshold:.3f}; "
        f"judge latency median {statistics.median(times):.3f} ms, "
        f"p99 {times[int(0.99 * (len(times) - 1))]:.3f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
