"""Admin-edited content (FAQ, triage rules, reminder plan), loaded together and swapped atomically.

A reload builds a complete new :class:`Conversation` first and only then replaces the live
one, so a broken file never replaces a working one: the caller gets the errors and the
patients keep the previous version.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.conversation import Conversation
from bot.faq import load_faq
from bot.reminders.plan import Plan, load_plan
from bot.triage import load_triage
from bot.yamlfile import CheckError, ContentError


def load_conversation(settings: Settings) -> Conversation:
    """Load the FAQ and triage rules; raise ContentError listing all problems found."""
    errors: list[CheckError] = []
    try:
        faq = load_faq(settings.faq_dir, settings.source_dir)
    except ContentError as exc:
        errors.extend(exc.errors)
    try:
        triage = load_triage(settings.triage_rules)
    except ContentError as exc:
        errors.extend(exc.errors)
    if errors:
        raise ContentError(errors)
    return Conversation(faq, triage, settings.hotline_phone)


def load_all(settings: Settings) -> tuple[Conversation, Plan]:
    """Every content file (FAQ, triage, reminder plan); ContentError lists all problems."""
    errors: list[CheckError] = []
    conversation: Conversation | None = None
    plan: Plan | None = None
    try:
        conversation = load_conversation(settings)
    except ContentError as exc:
        errors.extend(exc.errors)
    try:
        plan = load_plan(settings.reminder_plan)
    except ContentError as exc:
        errors.extend(exc.errors)
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


class Content:
    """Holds the live conversation core; handlers read ``content.conversation`` each time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._seen = fingerprint(settings)
        self.conversation, self.plan = load_all(settings)

    def reload(self) -> list[CheckError]:
        """Reload from disk; on any error keep the current version and return the errors."""
        self._seen = fingerprint(self.settings)
        try:
            conversation, plan = load_all(self.settings)
        except ContentError as exc:
            return exc.errors
        # Both swapped together: patients never see a new FAQ with an old plan or vice versa.
        self.conversation, self.plan = conversation, plan
        return []

    def reload_if_changed(self) -> list[CheckError] | None:
        """None when no file changed since the last (re)load; else what reload() returns.

        A broken edit is reported once, not at every check: the fingerprint of the broken
        files is remembered like a successful one.
        """
        if fingerprint(self.settings) == self._seen:
            return None
        return self.reload()

    def severity_label(self, severity: str) -> str:
        """The staff-facing label of a triage severity, from the live rules."""
        return self.conversation.triage.severity_label(severity)
