"""Plain data the FAQ package hands to the rest of the bot (no behaviour, no telegram)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ResultKind = Literal["answer", "clarify", "fallback", "smalltalk"]


@dataclass(frozen=True, kw_only=True)
class Written:
    """Where an admin wrote it, for the messages that send them back there. Keyword-only,
    so each kind below keeps its own fields first and in order."""

    path: str
    line: int


@dataclass(frozen=True)
class FaqEntry(Written):
    """One question/answer card, as written by an admin in ``faq/*.yaml``."""

    id: str
    theme: str
    question: str
    answer: str
    phrasings: tuple[str, ...]
    source: tuple[str, ...]
    related: tuple[str, ...]


@dataclass(frozen=True)
class SmalltalkIntent(Written):
    """A politeness intent (greeting, thanks...) with the phrasings that trigger it."""

    intent: str
    phrasings: tuple[str, ...]
    reply: str
    # Also recognised inside a longer sentence that is not a question ("tout s'est bien passé,
    # merci à l'équipe"), see Faq.match.
    in_sentence: bool = False


@dataclass(frozen=True)
class OffTopic(Written):
    """A subject the source page does not cover, with the terms that reveal it."""

    topic: str
    terms: tuple[str, ...]
    # Issue 9: an id (Reply.topic) and what the page does not say, completing "La page de
    # l'hôpital ne précise pas ..." in the topic's own fallback reply. Empty: generic fallback.
    id: str = ""
    missing: str = ""


@dataclass(frozen=True)
class FaqResult:
    """What :meth:`Faq.match` decided for one patient message.

    ``score`` is the calibrated confidence (0..1) of the best candidate, whatever the kind.
    ``candidates`` holds the 2-3 entries to offer for ``clarify``; it is empty otherwise.
    ``smalltalk_reply`` may contain ``{hotline}``, substituted by the bot like in answers.
    """

    kind: ResultKind
    entry: FaqEntry | None
    score: float
    candidates: tuple[FaqEntry, ...] = ()
    smalltalk_reply: str | None = None
    # A fallback on a subject the page does not cover (faq/hors_sujet.yaml), when recognised.
    topic: OffTopic | None = None
    # A second answer, when the message asks about two entries at once ("y a-t-il une
    # cicatrice et un pansement ?"): each explains words of the message the other does not.
    also: FaqEntry | None = None
    # Answered on the learned reader's word (the matcher alone would have asked "did you
    # mean" or fallen back): the triage safety net still reads the message, as it would have.
    learned: bool = False
