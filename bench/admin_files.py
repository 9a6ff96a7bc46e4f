"""Admin files benchmark: what an oversized or hostile content file costs `check` and a reload.

Run with ``python -m bench.admin_files``. Not part of the tests: numbers depend on the machine.

* ``python -m bot check`` as a real process (wall time and peak memory of that process) on the
  shipped content, with a FAQ theme file just under the size cap, with a 50 MB FAQ file (real
  bytes on disk, refused by size before any parsing) and with a FIFO in ``data/source/``;
* the event loop's longest stall (a 5 ms ticker) while the content of a copy with a FAQ file
  at the cap is reloaded, on the loop (``Content.reload``) and in a worker thread
  (``Content.reload_async``).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.config import PROJECT_ROOT, load_settings
from bot.content import Content
from bot.yamlfile import MAX_YAML_BYTES

_CHILD = (
    "import resource, sys\n"
    "from bot.__main__ import main\n"
    "code = main(['check'])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def content_env(root: Path) -> dict[str, str]:
    return {
        "FAQ_DIR": str(root / "faq"),
        "SOURCE_DIR": str(root / "data" / "source"),
        "REMINDER_PLAN": str(root / "data" / "reminders.yaml"),
        "TRIAGE_RULES": str(root / "data" / "triage.yaml"),
        "DATABASE_PATH": str(root / "bot.db"),
    }


def copy_content(root: Path) -> None:
    """The shipped content files copied under ``root`` (same layout)."""
    shutil.copytree(PROJECT_ROOT / "faq", root / "faq")
    shutil.copytree(PROJECT_ROOT / "data" / "source", root / "data" / "source")
    for name in ("reminders.yaml", "triage.yaml"):
        shutil.copy(PROJECT_ROOT / "data" / name, root / "data" / name)


def _faq_text(size: int) -> bytes:
    """A FAQ theme file of about ``size`` bytes: the first theme's entries repeated, new ids."""
    base = (PROJECT_ROOT / "faq" / "01-traitement.yaml").read_text(encoding="utf-8")
    marker = "\n  - id: "
    head, _, body = base.partition(marker)
    chunk = marker + body
    parts = [head]
    total = len(head.encode())
    k = 0
    while total < size:
        part = re.sub(r"(?m)^  - id: (\w+)", rf"  - id: \1_{k}", chunk)
        parts.append(part)
        total += len(part.encode())
        k += 1
    out = "".join(parts).encode()
    cut = marker.encode()
    while len(out) > size:  # drop whole entries until it fits
        out = out[: out.rindex(cut)]
    return out


def _check(root: Path) -> tuple[float, float, int]:
    """(seconds, peak MB, exit code) of `python -m bot check` on that content."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "HOTLINE"))}
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        env={**env, **content_env(root)},
        cwd=root,
        timeout=600,
        check=False,
    )
    elapsed = time.perf_counter() - started
    peak_kb = int(out.stderr.strip().splitlines()[-1])
    return elapsed, peak_kb / 1024, out.returncode


async def _stall(content: Content, *, threaded: bool) -> tuple[float, float]:
    """(reload seconds, longest gap between 5 ms ticks) while the content reloads."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    if threaded:
        await content.reload_async()
    else:
        content.reload()
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.02)
    done.set()
    await task
    return elapsed, max(gaps)


def main(argv: Sequence[str] | None = None) -> int:
    print("admin files: `python -m bot check` (one process each) and reload stalls")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cases: dict[str, Path] = {}
        for name in ("shipped", "at cap", "50 MB", "FIFO"):
            root = base / name.replace(" ", "_")
            copy_content(root)
            cases[name] = root
        (cases["at cap"] / "faq" / "09-gros.yaml").write_bytes(_faq_text(MAX_YAML_BYTES))
        with (cases["50 MB"] / "faq" / "09-gros.yaml").open("wb") as f:
            chunk = _faq_text(1024 * 1024)
            for _ in range(50):
                f.write(chunk)
        os.mkfifo(cases["FIFO"] / "data" / "source" / "tube.txt")
        for name, root in cases.items():
            seconds, peak, code = _check(root)
            print(f"  check, {name:8s}: {seconds:6.2f} s, peak {peak:6.1f} MB, exit {code}")

        content = Content(load_settings(env_file=None, environ=content_env(cases["shipped"])))
        shutil.copy(cases["at cap"] / "faq" / "09-gros.yaml", cases["shipped"] / "faq")
        for threaded in (False, True):
            seconds, gap = asyncio.run(_stall(content, threaded=threaded))
            how = "reload_async (thread)" if threaded else "reload (on the loop) "
            print(f"  {how}: {seconds:5.2f} s, longest event-loop stall {gap * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
