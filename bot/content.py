"""Admin-edited content (FAQ, triage rules, reminder plan), loaded together and swapped atomically.

A reload builds a complete new :class:`Conversation` first and only then replaces the live
one, so a broken file never replaces a working one: the caller gets the errors and the
patients keep the previous version.

Reading and parsing happen in a worker thread (:meth:`Content.reload_async`): a large edit
must not hold up an urgent reply. The new FAQ, triage rules and plan are published together
by one attribute assignment, so the event loop sees either the old set or the new one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.config import Settings
from bot.conversation import Conversation
from bot.faq import load_faq
from bot.reminders.plan import Plan, load_plan
from bot.triage import load_triage
from bot.yamlfile import CheckError, ContentError, admin_file_problem

T = TypeVar("T")


def skipped_faq_files(faq_dir: Path) -> list[CheckError]:
    """FAQ entries named like YAML files that are not regular files (FIFO, device, folder...).

    The FAQ loader lists only regular files, so these would be skipped without a word; the
    admin must learn that their file is not used. Judged by stat alone: nothing is opened.
    """
    if not faq_dir.is_dir():
        return []
    errors = []
    for path in sorted(faq_dir.iterdir()):
        if path.name.endswith(".yaml") and not path.name.startswith("_") and not path.is_file():
            problem = admin_file_problem(path)
            if problem is not None:
                errors.append(CheckError(str(path), 0, problem))
    return errors


def _attempt(errors: list[CheckError], load: Callable[[], T]) -> T | None:
    """Run one loader; its problems join ``errors`` (None then), so that one broken file
    does not hide the problems of the next: the admin sees them all at once."""
    try:
        return load()
    except ContentError as exc:
        errors.extend(exc.errors)
        return None


def load_conversation(settings: Settings) -> Conversation:
    """Load the FAQ and triage rules; raise ContentError listing all problems found."""
    errors: list[CheckError] = skipped_faq_files(settings.faq_dir)
    faq = _attempt(errors, lambda: load_faq(settings.faq_dir, settings.source_dir))
    triage = _attempt(errors, lambda: load_triage(settings.triage_rules))
    if errors or faq is None or triage is None:
        raise ContentError(errors)
    return Conversation(faq, triage, settings.hotline_phone)


def load_all(settings: Settings) -> tuple[Conversation, Plan]:
    """Every content file (FAQ, triage, reminder plan); ContentError lists all problems."""
    errors: list[CheckError] = []
    conversation = _attempt(errors, lambda: load_conversation(settings))
    plan = _attempt(errors, lambda: load_plan(settings.reminder_plan))
    if errors or conversation is None or plan is None:
        raise ContentError(errors)
    return conversation, plan


def content_files(settings: Settings) -> list[Path]:
    files = [settings.triage_rules, settings.reminder_plan]
    if settings.faq_dir.is_dir():
        files.extend(sorted(settings.faq_dir.glob("*.yaml")))
    if settings.source_dir.is_dir():
        files.extend(sorted(settings.source_dir.glob("*.txt")))
    return files


def fingerprint(settings: Settings) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of every content file: cheap change detection."""
    out = []
    for path in content_files(settings):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(frozen=True)
class _Live:
    conversation: Conversation
    plan: Plan


class Content:
    """Holds the live conversation core; handlers read ``content.conversation`` each time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._seen = fingerprint(settings)
        self._live = _Live(*load_all(settings))
        # One reload at a time: /recharger and the file watcher may ask together.
        self._reloading = threading.Lock()

    @property
    def conversation(self) -> Conversation:
        return self._live.conversation

    @property
    def plan(self) -> Plan:
        return self._live.plan

    def reload(self) -> list[CheckError]:
        """Reload from disk; on any error keep the current version and return the errors.

        Blocking (reads and parses every file): from the event loop use :meth:`reload_async`.
        """
        with self._reloading:
            self._seen = fingerprint(self.settings)
            try:
                live = _Live(*load_all(self.settings))
            except ContentError as exc:
                return exc.errors
            # One assignment: patients never see a new FAQ with an old plan or vice versa.
            self._live = live
            return []

    def reload_if_changed(self) -> list[CheckError] | None:
        """None when no file changed since the last (re)load; else what reload() returns.

        A broken edit is reported once, not at every check: the fingerprint of the broken
        files is remembered like a successful one.
        """
        if fingerprint(self.settings) == self._seen:
            return None
        return self.reload()

    async def reload_async(self) -> list[CheckError]:
        """:meth:`reload` in a worker thread, so the bot keeps answering meanwhile."""
        return await asyncio.to_thread(self.reload)

    async def reload_if_changed_async(self) -> list[CheckError] | None:
        """:meth:`reload_if_changed` in a worker thread (the stat calls included)."""
        return await asyncio.to_thread(self.reload_if_changed)

    def severity_label(self, severity: str) -> str:
        """The staff-facing label of a triage severity, from the live rules."""
        return self.conversation.triage.severity_label(severity)
