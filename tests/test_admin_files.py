"""Admin-edited files that could stall the bot: too big, FIFOs, devices, links out, folders.

Each hostile file is put in place of every kind of content file, in a copy of the shipped
content, and must come back as one ``file:line: message`` error, without the file being
opened when opening it could block (a FIFO) or never end (``/dev/zero``).
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.admin_files import content_env
from bench.admin_files import copy_content as copy_files
from bot import texts
from bot.config import Settings, load_settings
from bot.content import Content, load_all
from bot.notices import reload_refused_notice
from bot.render import TELEGRAM_MAX as TELEGRAM_LIMIT
from bot.render import utf16_len as utf16_units
from bot.yamlfile import (
    MAX_SOURCE_BYTES,
    MAX_YAML_BYTES,
    CheckError,
    ContentError,
    read_admin_file,
)
from tests.fakes.bot_api import parse_html
from tests.test_cli import run_cli

SOURCE_NAME = "injection-botox-syndrome-des-releveurs.txt"
FIFTY_MB = 50 * 1024 * 1024


def copy_content(root: Path) -> Settings:
    """The shipped content copied under ``root``, and settings that point there."""
    copy_files(root)
    return load_settings(env_file=None, environ=content_env(root))


# --- the hostile files -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[Path, Path], None]  # (file to replace, a folder outside the content)
    message: Callable[[Path, Path], str]
    line: int = 0


def _replace(path: Path) -> bytes:
    data = path.read_bytes()
    path.unlink()
    return data


def oversized(path: Path, _outside: Path) -> None:
    _replace(path)
    with path.open("wb") as f:  # sparse: 50 MB on paper, nothing on disk, never read
        f.truncate(FIFTY_MB)


def fifo(path: Path, _outside: Path) -> None:
    _replace(path)
    os.mkfifo(path)


def dev_zero(path: Path, _outside: Path) -> None:
    _replace(path)
    path.symlink_to("/dev/zero")


def link_outside(path: Path, outside: Path) -> None:
    target = outside / path.name
    target.write_bytes(_replace(path))  # a perfectly valid file, but not in the folder
    path.symlink_to(target)


def folder(path: Path, _outside: Path) -> None:
    _replace(path)
    path.mkdir()


def latin1(path: Path, _outside: Path) -> None:
    lines = _replace(path).split(b"\n")
    lines[2] += " # très".encode("latin-1")  # the é of an editor set to Latin-1
    path.write_bytes(b"\n".join(lines))


def too_big_message(path: Path, _outside: Path) -> str:
    cap = MAX_YAML_BYTES if path.suffix == ".yaml" else MAX_SOURCE_BYTES
    limit = f"{cap // 1024:,} Ko".replace(",", "\u202f")
    return texts.ADMIN_FILE_TOO_BIG.format(size="51\u202f200 Ko", limit=limit)


HOSTILE = [
    Hostile("50 MB file", oversized, too_big_message),
    Hostile("FIFO", fifo, lambda p, o: texts.ADMIN_FILE_IS_FIFO),
    Hostile(
        "symlink to /dev/zero",
        dev_zero,
        lambda p, o: texts.ADMIN_FILE_LINK_OUTSIDE.format(target="/dev/zero"),
    ),
    Hostile(
        "symlink out of the folder",
        link_outside,
        lambda p, o: texts.ADMIN_FILE_LINK_OUTSIDE.format(target=os.path.realpath(o / p.name)),
    ),
    Hostile("folder", folder, lambda p, o: texts.ADMIN_FILE_IS_DIR),
    Hostile("not UTF-8", latin1, lambda p, o: texts.ADMIN_FILE_NOT_UTF8, line=3),
]

KINDS = {
    "FAQ theme": "faq/01-traitement.yaml",
    "synonyms": "faq/synonymes.yaml",
    "smalltalk": "faq/smalltalk.yaml",
    "off-topic": "faq/hors_sujet.yaml",
    "source document": f"data/source/{SOURCE_NAME}",
    "reminder plan": "data/reminders.yaml",
    "triage rules": "data/triage.yaml",
}


def load_errors(settings: Settings) -> list[CheckError]:
    """load_all's errors, from a thread we can give up on if it ever blocks (a FIFO opened)."""
    out: list[list[CheckError]] = []

    def work() -> None:
        try:
            load_all(settings)
            out.append([])
        except ContentError as exc:
            out.append(exc.errors)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "loading the content blocked"
    return out[0]


@pytest.mark.parametrize("kind", KINDS, ids=list(KINDS))
@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_content_file_is_refused_with_file_and_line(
    tmp_path: Path, hostile: Hostile, kind: str
) -> None:
    settings = copy_content(tmp_path / "content")
    outside = tmp_path / "outside"
    outside.mkdir()
    path = tmp_path / "content" / KINDS[kind]
    hostile.make(path, outside)

    errors = load_errors(settings)

    expected = CheckError(str(path), hostile.line, hostile.message(path, outside))
    assert expected in errors, "\n".join(map(str, errors))
    assert f"{path}:{hostile.line}: " in str(expected)


def test_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    """A link to another file of the same folder is an ordinary admin habit: accepted."""
    settings = copy_content(tmp_path / "content")
    faq = tmp_path / "content" / "faq"
    (faq / "02-avant.yaml").rename(faq / "_02-avant.brouillon")
    (faq / "02-avant.yaml").symlink_to("_02-avant.brouillon")
    assert load_errors(settings) == []


def test_check_reports_every_hostile_file_and_exits_non_zero(tmp_path: Path) -> None:
    root = tmp_path / "content"
    copy_content(root)
    outside = tmp_path / "outside"
    outside.mkdir()
    oversized(root / "faq" / "01-traitement.yaml", outside)
    os.mkfifo(root / "data" / "source" / "tube.txt")
    dev_zero(root / "data" / "triage.yaml", outside)
    folder(root / "data" / "reminders.yaml", outside)

    started = time.perf_counter()
    out = run_cli("check", env=content_env(root), cwd=tmp_path)  # 60 s timeout: a hang fails
    elapsed = time.perf_counter() - started

    assert out.returncode == 1, out.stderr
    lines = out.stderr.splitlines()
    faq_file = root / "faq" / "01-traitement.yaml"
    assert f"{faq_file}:0: {too_big_message(faq_file, outside)}" in lines
    assert f"{root}/data/source/tube.txt:0: {texts.ADMIN_FILE_IS_FIFO}" in lines
    link = texts.ADMIN_FILE_LINK_OUTSIDE.format(target="/dev/zero")
    assert f"{root}/data/triage.yaml:0: {link}" in lines
    assert f"{root}/data/reminders.yaml:0: {texts.ADMIN_FILE_IS_DIR}" in lines
    print(f"check with four hostile files: {elapsed:.2f} s")  # reported, never asserted


# --- reload -----------------------------------------------------------------------------------


async def test_refused_reload_keeps_the_previous_content(tmp_path: Path) -> None:
    settings = copy_content(tmp_path / "content")
    content = Content(settings)
    before_conversation, before_plan = content.conversation, content.plan
    question = "combien de temps dure l'injection ?"
    assert content.conversation.respond(question).faq_id == "duree"

    os.mkfifo(tmp_path / "content" / "data" / "source" / "tube.txt")
    errors = await content.reload_if_changed_async()

    assert errors is not None and [e.message for e in errors] == [texts.ADMIN_FILE_IS_FIFO]
    assert content.conversation is before_conversation and content.plan is before_plan
    assert content.conversation.respond(question).faq_id == "duree"
    # Reported once: the same broken state is not refused again at every watch.
    assert await content.reload_if_changed_async() is None

    (tmp_path / "content" / "data" / "source" / "tube.txt").unlink()
    assert await content.reload_async() == []
    assert content.conversation is not before_conversation


async def test_reload_runs_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = copy_content(tmp_path / "content")
    content = Content(settings)
    threads: list[threading.Thread] = []
    real_load_all = load_all

    def spy(s: Settings) -> object:
        threads.append(threading.current_thread())
        return real_load_all(s)

    monkeypatch.setattr("bot.content.load_all", spy)
    assert await content.reload_async() == []
    assert threads and threads[0] is not threading.main_thread()


# --- the staff notice -------------------------------------------------------------------------


def shown_lines(notice: str) -> list[str]:
    """The error lines of the <pre> block, as staff read them (HTML parsed)."""
    text, _ = parse_html(notice)
    start = text.index("\n") + 1
    block = text[start:]
    more = [i for i, line in enumerate(block.split("\n")) if line.startswith("… et ")]
    return block.split("\n")[: more[0]] if more else block.split("\n")


NOTICE_CASES = {
    "1,000 short errors": [
        CheckError("faq/01-traitement.yaml", n, f"clé inconnue « x{n} »") for n in range(1000)
    ],
    "5,000-character errors with emoji and markup": [
        CheckError("faq/<b>&.yaml", n, ("😭<i>&amp;</i>" * 500)[:5000]) for n in range(30)
    ],
    "one error of 5,000 characters": [CheckError("data/triage.yaml", 3, "é" * 5000)],
    "one short error": [CheckError("data/triage.yaml", 3, "YAML invalide : <tab>")],
    "errors quoting several lines": [
        CheckError("data/triage.yaml", n, "YAML invalide :\n  - a\n  - b") for n in range(400)
    ],
}


@pytest.mark.parametrize("errors", NOTICE_CASES.values(), ids=list(NOTICE_CASES))
def test_reload_refused_notice_always_fits(errors: list[CheckError]) -> None:
    notice = reload_refused_notice(errors)

    assert utf16_units(notice) <= TELEGRAM_LIMIT
    text, entities = parse_html(notice)  # valid Telegram HTML: only our <pre> is a tag
    assert [e["type"] for e in entities] == ["pre"]
    assert text.startswith(texts.RELOAD_FAILED + "\n")
    lines = shown_lines(notice)
    assert lines, "at least one error is shown"
    for line, error in zip(lines, errors, strict=False):
        assert " ".join(str(error).splitlines()).startswith(line.removesuffix("…"))
    hidden = len(errors) - len(lines)
    if hidden == 0:
        assert "… et " not in text
    elif hidden == 1:
        assert text.endswith("\n" + texts.RELOAD_MORE_ONE)
    else:
        assert text.endswith("\n" + texts.RELOAD_MORE.format(n=hidden))


def test_notice_lists_as_many_errors_as_fit() -> None:
    errors = NOTICE_CASES["1,000 short errors"]
    notice = reload_refused_notice(errors)
    shown = len(shown_lines(notice))
    # One more line would not have fitted: the notice is as full as it may be.
    next_line = html.escape(str(errors[shown]), quote=False)
    assert utf16_units(notice) + utf16_units(next_line) + 1 > TELEGRAM_LIMIT - len("9")
    assert shown > 50


def swap_in_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def swap_in_other_file(path: Path) -> None:
    other = path.with_name("autre.yaml")
    other.write_text("autre: 1\n", encoding="utf-8")
    os.replace(other, path)


@pytest.mark.parametrize("swap", [swap_in_fifo, swap_in_other_file], ids=["FIFO", "other file"])
def test_file_replaced_between_the_checks_and_the_open_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap: Callable[[Path], None]
) -> None:
    """The race a stat-then-open leaves: the open is non-blocking and checks the same inode."""
    path = tmp_path / "regles.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    real_open = os.open

    def racing_open(name: str | Path, flags: int, *args: int) -> int:
        if Path(name) == path:
            swap(path)
        return real_open(name, flags, *args)

    monkeypatch.setattr(os, "open", racing_open)
    out: list[BaseException] = []

    def work() -> None:
        try:
            read_admin_file(path)
        except ContentError as exc:
            out.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=30)
    monkeypatch.undo()
    assert not worker.is_alive(), "the open blocked"
    [error] = out
    assert isinstance(error, ContentError)
    assert [str(e) for e in error.errors] == [f"{path}:0: {texts.ADMIN_FILE_CHANGED}"]
