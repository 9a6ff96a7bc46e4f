"""Triage benchmark: per evaluation round, what the rules catch and false alarms, and latency.

Run with ``python -m bench.triage``. Rounds: ``tests/data/triage_eval.yaml`` (the tuning set,
rounds 1-3 folded in) and ``tests/data/triage_round4.yaml`` (held out, measured once before
its fixes: 127/169 urgent caught = 75.1 %, 42/160 false alarms = 26.2 %; numbers printed
here are after the fixes, so on round 4 they are a floor, not a measure of generalisation).

Everything goes through ``Conversation.respond``, as in ``python -m bot ask``: an urgent
message counts as caught when the reply is kind "urgent" and gives the hospital line.
Layers: the rules (with their context) are the only alerting layer today; the learned safety
net of issue 10 is not built yet, so "net only" is reported as 0 and "both miss" equals the
rules' misses.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bot.config import load_settings
from bot.content import load_conversation
from bot.conversation import Conversation

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = {
    "tuning (triage_eval.yaml)": ROOT / "tests" / "data" / "triage_eval.yaml",
    "round 4 (after fixes)": ROOT / "tests" / "data" / "triage_round4.yaml",
}


def _items(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    calm = data.get("lookalike") or data.get("non_urgent") or []
    calm = [c if isinstance(c, dict) else {"text": c} for c in calm]
    return list(data["urgent"]), calm


def measure(conv: Conversation, path: Path) -> dict[str, Any]:
    urgent, calm = _items(path)
    caught = 0
    missed: Counter[str] = Counter()
    for item in urgent:
        reply = conv.respond(item["text"])
        if reply.kind == "urgent" and conv.hotline in reply.text:
            caught += 1
        else:
            missed[item.get("style", item.get("category", "?"))] += 1
    kinds = Counter(conv.respond(c["text"]).kind for c in calm)
    concern_expected = [c for c in calm if c.get("concern")]
    concern_ok = sum(conv.respond(c["text"]).kind == "concern" for c in concern_expected)
    return {
        "urgent": len(urgent),
        "caught": caught,
        "missed": dict(missed),
        "calm": len(calm),
        "alarms": kinds["urgent"],
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
        print(
            f"{name}: rules caught {r['caught']}/{r['urgent']} "
            f"({100 * r['caught'] / r['urgent']:.1f} %), net only 0, both miss "
            f"{r['urgent'] - r['caught']}; false alarms {r['alarms']}/{r['calm']} "
            f"({100 * r['alarms'] / r['calm']:.1f} %)"
        )
        if r["missed"]:
            print(f"   missed by style: {r['missed']}")
        print(f"   look-alike replies by kind: {r['kinds']}")
        if r["concern"][1]:
            print(f"   concern path where expected: {r['concern'][0]}/{r['concern'][1]}")
    med, p99 = latency(conv, texts)
    print(
        f"triage.analyse latency over {len(texts)} messages x5: "
        f"median {med:.3f} ms, p99 {p99:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
