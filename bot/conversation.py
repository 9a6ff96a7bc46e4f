"""The channel-agnostic core: what a patient gets for what they write.

Telegram handlers, the terminal demo and ``python -m bot ask`` all call this module, so
what is tested and measured is exactly what patients receive. It never imports
``telegram`` and never touches the database: storing unanswered questions or alerting
staff is the caller's job, driven by the fields of :class:`Reply`.

Order matters: triage runs first on every message, because an urgent message that happens
to look like a FAQ question ("j'ai de la fièvre, c'est normal après l'injection ?") must get
the phone number, not an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot import texts
from bot.faq import Faq, FaqEntry
from bot.normalize import normalize
from bot.triage import TriageResult, TriageRules

ReplyKind = Literal[
    "answer", "clarify", "fallback", "urgent", "smalltalk", "concern", "request", "support", "info"
]

# Telegram shows long button labels cut off; keep them readable on a phone.
BUTTON_LABEL_MAX = 60

# callback_data prefixes (Telegram allows 64 bytes; ids are short and validated on load).
CB_FAQ = "faq:"
CB_OTHER = "faq:-"
CB_THEME = "thm:"
CB_THEMES = "thm:-"


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    faq_id: str | None = None
    score: float | None = None
    suggestions: tuple[FaqEntry, ...] = ()
    triage: TriageResult | None = None
    # Fallback and clarify questions are kept (for a while) for admins to review, and a
    # fallback offers to pass the question to the team.
    record_unanswered: bool = False
    offer_forward: bool = False
    # The message asks for the /stop or /supprimer flow: the caller runs that flow.
    command: Literal["stop", "supprimer"] | None = None
    # A fallback on a recognised subject the page does not cover (faq/hors_sujet.yaml id).
    topic: str | None = None
    # Two questions in one message, both answered: their ids (faq_id is the first).
    answers: tuple[str, ...] = ()

    @property
    def severity(self) -> str | None:
        return self.triage.severity if self.triage else None


# Frequent English words that are not also French words: enough of them in a message the FAQ
# could not place means the patient is not writing French.
_ENGLISH_WORDS = (
    "the is are what how when where why who can could should would will my your you i me it "
    "this that with have has do does did not after before pain doctor help please hospital "
    "injection treatment long much need want get"
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())


def readable(text: str) -> bool:
    """Whether the text has any letter or digit (emoji, spaces and invisible characters don't)."""
    return any(ch.isalnum() for ch in text)


def looks_french(text: str) -> bool:
    """False for messages in another script or mostly English words; True when unsure."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isascii() or "À" <= ch <= "ÿ" or ch in "œŒæÆ" for ch in letters) < (
        len(letters) / 2
    ):
        return False
    words = [w for w in normalize(text).split() if w.isalpha()]
    if len(words) < 2:
        return True
    english = sum(w in _ENGLISH for w in words)
    return not (english >= 2 and english * 2 >= len(words))


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_MAX else text[: BUTTON_LABEL_MAX - 1] + "…"


class Conversation:
    def __init__(self, faq: Faq, triage: TriageRules, hotline: str) -> None:
        self.faq = faq
        self.triage = triage
        self.hotline = hotline

    def _t(self, template: str) -> str:
        return texts.with_hotline(template, self.hotline)

    # --- free text ----------------------------------------------------------------------

    def respond(self, text: str) -> Reply:
        """The reply to one patient message."""
        if not readable(text):
            return Reply("smalltalk", texts.EMPTY_MESSAGE)
        found = self.triage.assess(text)
        if found is not None:
            return self.urgent(found)
        result = self.faq.match(text)
        if result.kind == "fallback" and not looks_french(text):
            # Same honest fallback, in words a non-French speaker can act on.
            return Reply(
                "fallback", self._t(texts.ONLY_FRENCH), score=result.score, record_unanswered=True
            )
        if result.kind == "answer" and result.entry is not None:
            return self.answer(result.entry, score=result.score)
        if result.kind == "clarify" and result.candidates:
            rows = tuple((Button(_label(e.question), CB_FAQ + e.id),) for e in result.candidates)
            return Reply(
                "clarify",
                texts.CLARIFY,
                buttons=(*rows, (Button(texts.CLARIFY_NONE, CB_OTHER),)),
                score=result.score,
                suggestions=result.candidates,
                record_unanswered=True,
            )
        if result.kind == "smalltalk" and result.smalltalk_reply:
            return Reply("smalltalk", self._t(result.smalltalk_reply), score=result.score)
        return Reply(
            "fallback",
            self._t(texts.FALLBACK),
            score=result.score,
            suggestions=result.candidates,
            record_unanswered=True,
            offer_forward=True,
        )

    def urgent(self, found: TriageResult) -> Reply:
        return Reply("urgent", self.triage.reply(found, self.hotline), triage=found)

    def human_request(self) -> Reply:
        """The /urgence command: a person is asked for explicitly."""
        return self.urgent(self.triage.human_request())

    # --- answers and browsing -----------------------------------------------------------

    def answer(self, entry: FaqEntry, score: float | None = None) -> Reply:
        related = [e for e in (self.faq.get(i) for i in entry.related) if e is not None]
        text = self._t(entry.answer)
        if related:
            text += "\n\n" + texts.RELATED_INTRO
        rows = tuple((Button(_label(e.question), CB_FAQ + e.id),) for e in related)
        return Reply("answer", text, buttons=rows, faq_id=entry.id, score=score)

    def answer_by_id(self, entry_id: str) -> Reply | None:
        entry = self.faq.get(entry_id)
        return None if entry is None else self.answer(entry)

    def other_question(self) -> Reply:
        return Reply("info", self._t(texts.CLARIFY_NONE_REPLY))

    def themes(self) -> Reply:
        rows = tuple(
            (Button(_label(theme), f"{CB_THEME}{i}"),)
            for i, (theme, _entries) in enumerate(self.faq.themes)
        )
        return Reply("info", texts.QUESTIONS_INTRO, buttons=rows)

    def theme(self, index: int) -> Reply | None:
        if not 0 <= index < len(self.faq.themes):
            return None
        theme, entries = self.faq.themes[index]
        rows = tuple((Button(_label(e.question), CB_FAQ + e.id),) for e in entries)
        return Reply(
            "info",
            texts.QUESTIONS_THEME.format(theme=theme),
            buttons=(*rows, (Button(texts.BACK_TO_THEMES, CB_THEMES),)),
        )

    # --- fixed messages -----------------------------------------------------------------

    def welcome(self) -> Reply:
        return Reply("info", self._t(texts.WELCOME))

    def help(self) -> Reply:
        return Reply("info", self._t(texts.HELP))

    def media(self, kind: str) -> Reply:
        template = texts.VOICE_NOT_READ if kind in {"voice", "video_note"} else texts.MEDIA_NOT_READ
        return Reply("info", self._t(template))
