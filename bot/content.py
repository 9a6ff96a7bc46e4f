"""Admin-edited content (FAQ, triage rules), loaded together and swapped atomically.

A reload builds a complete new :class:`Conversation` first and only then replaces the live
one, so a broken file never replaces a working one: the caller gets the errors and the
patients keep the previous version.
"""

from __future__ import annotations

from bot.config import Settings
from bot.conversation import Conversation
from bot.faq import load_faq
from bot.triage import load_triage
from bot.yamlfile import CheckError, ContentError


def load_conversation(settings: Settings) -> Conversation:
    """Load every content file; raise ContentError listing all problems found."""
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


class Content:
    """Holds the live conversation core; handlers read ``content.conversation`` each time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conversation = load_conversation(settings)

    def reload(self) -> list[CheckError]:
        """Reload from disk; on any error keep the current version and return the errors."""
        try:
            fresh = load_conversation(self.settings)
        except ContentError as exc:
            return exc.errors
        self.conversation = fresh
        return []

    def severity_label(self, severity: str) -> str:
        """The staff-facing label of a triage severity, from the live rules."""
        return self.conversation.triage.severity_label(severity)
