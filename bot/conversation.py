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

import re
from dataclasses import dataclass, replace
from typing import Literal

from bot import intents, texts
from bot.analysis import (
    MessageAnalysis,
    analyse,
    is_bare_ask,
    tells_only,
    with_antecedent,
    without_request_frame,
)
from bot.faq import Faq, FaqEntry, FaqResult
from bot.faq.text import QUESTION_WORDS, STOPWORDS
from bot.normalize import normalize
from bot.triage import HUMAN_REQUEST_ID, TriageResult, TriageRules

ReplyKind = Literal[
    "answer", "clarify", "fallback", "urgent", "smalltalk", "concern", "request", "support", "info"
]

# Replies after which the safety net is asked (issue 10): the bot had nothing it understood
# to say. An answer, an intent or a feeling it recognised is not second-guessed by the net.
# A medical history told ("Je précise que j'ai une myasthénie") is understood too: its
# fallback names it and offers the forward button, and the net does not read it (since
# round 28: the net read treatments told as alarms).
NET_AFTER: frozenset[ReplyKind] = frozenset({"fallback", "clarify"})

# Reply.topic of a medical-history statement (not a faq/hors_sujet.yaml topic).
HISTORY_TOPIC = "antecedents"

# Cards that may answer a question asked beside a medical history told: facts of the
# procedure the history does not change (where, who, how long, the dressing...). Never whether
# the treatment suits, works or is safe for this patient (securite, efficacite, indications,
# deuxieme_intention, validation_staff, traitement, mecanisme, syndrome), nor how to prepare
# (a treatment to stop or not is the team's answer): those stay the history reply alone.
_FACTS_BESIDE_HISTORY = frozenset(
    {
        "chirurgie",
        "deroulement",
        "consultation_avant",
        "lieu",
        "qui_realise",
        "anesthesie",
        "equipement",
        "guidage",
        "site_injection",
        "duree",
        "apres_surveillance",
        "sortie_meme_jour",
        "cicatrice",
        "pansement",
        "seances",
        "second_avis",
        "explications",
        "ligne_telephonique",
    }
)

# "J'ai une peur bleue de devenir incontinente après. Ce risque existe ?": a red flag asked
# about is not answered by the general safety card (the page says the technique is safe, not
# whether this sign can follow); triage's list of signs and the line answer it.
_NOT_ABOUT_A_SIGN = frozenset({"securite"})

# A question asking whether the patient may, can or should (normalised text).
_SUITABILITY_RE = re.compile(
    r"\b(?:possibles?|faisables?|compatibles?|contre indique\w*|autoris\w*|quand meme"
    r"|problemes?|risques?|risquee?s?|dangers?|dangereu\w*|graves?|interdit\w*|deconseill\w*"
    r"|adaptee?s?|peux|peut|peuvent|puis|pourrai\w*|pourra|dois|doit|arret\w*|continu\w*)\b"
)

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
    # A non-urgent symptom (triage "concern") the team is told about, whatever the reply.
    staff_note: bool = False
    # An answer the matcher alone would not have given (FaqResult.learned).
    learned: bool = False

    @property
    def severity(self) -> str | None:
        return self.triage.severity if self.triage else None


# A follow-up that opens on a preposition and names nothing else asks about what came before.
_ELLIPTIC_OPENERS = frozenset({"pour", "de", "dans", "sur", "en", "jusqu", "depuis", "pendant"})
# A closing formula glued to the follow-up ("et pour quelle durée ? Avec mes remerciements.")
# names nothing it asks about.
_CLOSING_WORDS = frozenset(
    {"merci", "remerciements", "remercie", "cordialement", "avance", "salutations", "svp", "stp"}
)
# "…les effets secondaires possibles, et peuvent-ils durer longtemps ?": a modal verb names
# nothing either (the stopwords hold its singular forms).
_MODALS = frozenset({"peuvent", "vont", "doivent", "pourraient", "devraient", "risquent"})
_NOT_A_SUBJECT = STOPWORDS | QUESTION_WORDS | _CLOSING_WORDS | _MODALS
_POSSESSIVES = frozenset({"mon", "ma", "mes", "notre", "nos", "votre", "vos"})


# "…l'effet se manifeste au bout de combien de temps, et combien de temps il persiste ?": a
# personal pronoun takes its subject from the clause before. Not "ça" ("qui fait le geste, et
# combien de temps ça dure ?" asks about the geste), nor an impersonal "il faut", "il y a".
_ANAPHORS = frozenset({"il", "elle", "ils", "elles"})
_IMPERSONAL_AFTER = frozenset({"faut", "y", "fait", "parait", "semble"})


def _is_elliptic(clause: str) -> bool:
    """A follow-up question with at most one word of its own ("et pour quelle durée ?", "et
    combien ?"), or a short one whose subject is a pronoun ("et combien de temps il
    persiste ?"): its subject is in the clause before it."""
    tokens = normalize(clause).split()
    words = [t for t in tokens if t not in _NOT_A_SUBJECT]
    # "et depuis combien d'heures ?": the opening preposition is not a word of its own.
    own = [t for t in words if t not in _ELLIPTIC_OPENERS]
    if not words or (len(own) <= 1 and tokens[0] in _ELLIPTIC_OPENERS):
        return True
    if len(tokens) <= 3 and tokens[0] in _POSSESSIVES:
        # "je dois amener quoi comme papiers ? mes vieilles IRM ?": a noun phrase with no
        # verb names one more thing the question before asks about.
        return True
    anaphor = any(
        t in _ANAPHORS and tokens[i + 1 : i + 2] != [] and tokens[i + 1] not in _IMPERSONAL_AFTER
        for i, t in enumerate(tokens)
    )
    return anaphor and len(words) <= 2


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
        message = analyse(text)
        if not message.readable:
            return Reply("smalltalk", texts.EMPTY_MESSAGE)
        found = self.triage.analyse(text, english=not message.french)
        if found.alert is not None:
            if (
                found.alert.categories == (HUMAN_REQUEST_ID,)
                and message.french
                and intents.is_logistics_call(message)
            ):
                # "Pourriez-vous me rappeler afin de décaler mon rendez-vous ?": a call asked
                # for about the appointment alone goes to the staff as a request (who will
                # call back, and the line for today or tomorrow), not as an alert to
                # acknowledge. Any symptom in the message keeps the alert.
                return Reply("request", self._t(texts.REQUEST_FORWARDED))
            return self.urgent(found.alert)
        if found.concern is not None:
            # A symptom that is not a red flag: acknowledged, the line, a note to staff. When
            # the message also asks something the page answers ("le botox soigne quelles
            # douleurs ?", dictated "est-ce que c'est efficace pour mes douleurs"), it gets
            # that answer, and the note to staff still goes (``staff_note``): these patients
            # live with pain, and naming it must not cost them their answer, nor the team
            # its note. A question clause counts wherever it stands ("... se fait où ? Merci
            # de votre patience."), with or without a question mark.
            # Two questions get both answers here too ("indiqué pour quelles douleurs ? Et on
            # le propose quand ?").
            # A current condition told beside the pain ("je suis enceinte de quatre mois…
            # je peux faire l'injection maintenant ?") is never answered with a page fact:
            # the page cannot speak to it (see understand); the note says it all.
            personal = intents.tells_current_condition(message)
            two = None if personal else self._two_questions(message)
            if two is not None and two.kind == "answer":
                return replace(two, triage=found.concern, staff_note=True)
            asked = self.faq.match(message.for_matching, asks=True)
            if asked.kind != "answer" and not personal:
                # "J'ai des douleurs pelviennes depuis une hystérectomie. […] Ça se passe dans
                # quelle salle ?": the story around the one question blurs it; read alone.
                asked = self._question_alone(message) or asked
            if (
                asked.kind == "answer"
                and asked.entry is not None
                and message.questions
                and not personal
            ):
                answered = self.answer(asked.entry, score=asked.score)
                return replace(answered, triage=found.concern, staff_note=True)
            note = self.triage.reply(found.concern, self.hotline)
            if intents.is_bare_feeling(message) and message.french:
                # "J'ai tellement honte de parler de cette douleur": the feeling comes first,
                # then the note's acknowledgement and its advice; the note still goes.
                return Reply(
                    "support",
                    self._t(texts.SUPPORT_WITH_NOTE) + note,
                    triage=found.concern,
                    staff_note=True,
                )
            return Reply("concern", note, triage=found.concern, staff_note=True)
        if found.asked:
            # A question about a red flag: the information and the line, no alert. The FAQ
            # still answers it when it can.
            asked = self.faq.match(message.for_matching)
            if (
                asked.kind == "answer"
                and asked.entry is not None
                and asked.entry.id not in _NOT_ABOUT_A_SIGN
            ):
                return self.answer(asked.entry, score=asked.score)
            # "Et si je fais un malaise juste après ? Est-ce que quelqu'un me surveille ?": the
            # fear and the question are two clauses; the question read alone is answered.
            two = self._two_questions(message)
            if two is not None and two.kind == "answer":
                return two
            for clause in message.questions if len(message.questions) > 1 else ():
                alone = self.faq.match(without_request_frame(clause.text), asks=True)
                if alone.kind == "answer" and alone.entry is not None:
                    return self.answer(alone.entry, score=alone.score)
            return Reply("info", self._t(texts.TRIAGE_RISK_INFO), score=asked.score)
        reply = self.understand(message)
        # A medical history told to the team ("je suis sous Kardégic et Eliquis") is
        # understood: its fallback names it and offers to pass it on.
        understood = reply.topic == HISTORY_TOPIC
        if (reply.kind in NET_AFTER and not understood) or reply.learned:
            # Nothing understood it, or only the FAQ's learned reader did: the safety net
            # reads it for what the rules never saw.
            net = self.triage.net_alert(text, found, english=not message.french)
            if net is not None:
                return self.urgent(net)
        return reply

    def understand(self, message: MessageAnalysis) -> Reply:
        """Everything after triage: intents, then the FAQ (one or two questions), then the
        not-on-the-page topics and the honest fallback."""
        intent = intents.detect(message)
        if intent == "stop":
            return Reply("info", texts.STOP_ASKED, command="stop")
        if intent == "supprimer":
            return Reply("info", texts.ERASE_ASKED, command="supprimer")
        if intent == "history":
            beside = self._answer_beside_history(message)
            if beside is not None:
                return beside
            # Never an FAQ card: the page cannot speak to one patient's condition.
            return Reply(
                "fallback",
                self._t(texts.HISTORY),
                topic=HISTORY_TOPIC,
                offer_forward=True,
                # The forward button needs the stored message (see the Telegram handler).
                record_unanswered=True,
            )
        if intent == "request":
            return Reply("request", self._t(texts.REQUEST_FORWARDED))
        if intents.asks_warning_signs(message):
            # The page lists no warning signs: triage's own list of them, and the line.
            return Reply("info", self._t(texts.TRIAGE_RISK_INFO))
        emotion = intents.is_emotion(message)
        if intents.is_bare_feeling(message):
            # A feeling told without a question ("je suis découragée, ça fait des années que
            # ça dure") is heard, never answered with a page fact its words happen to match.
            return Reply("support", self._t(texts.SUPPORT))
        two = self._two_questions(message)
        if two is not None:
            return two
        result = self.faq.match(message.for_matching, asks=bool(message.questions))
        if result.kind == "clarify":
            # "sa marche bien ou pa ? jveu pa faire tt sa pr rien": the words told around the
            # one question blur it; the question read alone picks one of the offered cards.
            alone = self._question_alone(message)
            if alone is not None and alone.entry in result.candidates:
                result = alone
        if emotion and not message.questions and result.learned:
            # A fear told without a question ("Peur que ce soit encore un échec."): only the
            # learned reader would have found a card in it; the patient is heard instead.
            return Reply("support", self._t(texts.SUPPORT), score=result.score)
        if result.kind == "answer" and result.entry is not None:
            if result.also is not None:
                return self._both(result.entry, result.also, result.score)
            return replace(self.answer(result.entry, score=result.score), learned=result.learned)
        if result.topic is None and emotion and (result.kind != "clarify" or not message.questions):
            # A question asked in fear still gets its "did you mean" buttons: the patient asked
            # something, and the closest entries name it better than a word of comfort. A fear
            # told without a question ("Peur que ce soit encore un échec.") is heard.
            return Reply("support", self._t(texts.SUPPORT), score=result.score)
        if result.kind == "fallback" and not message.french:
            # Same honest fallback, in words a non-French speaker can act on.
            return Reply(
                "fallback", self._t(texts.ONLY_FRENCH), score=result.score, record_unanswered=True
            )
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
        return self.fallback(result)

    def _question_alone(self, message: MessageAnalysis) -> FaqResult | None:
        """The one card the message's one question gets when read without the words around
        it, or None. Only for a question with a subject of its own: not "Pourriez-vous
        m'expliquer de quoi il s'agit ?" (bare) nor "et pour quelle durée ?" (elliptic),
        whose subject is in the words around them."""
        if len(message.questions) != 1 or len(message.clauses) < 2:
            return None
        question = message.questions[0].text
        if is_bare_ask(question) or _is_elliptic(question):
            return None
        alone = self.faq.match(without_request_frame(question), asks=True)
        if alone.kind != "answer" or alone.entry is None or alone.also is not None:
            return None
        return alone

    def _answer_beside_history(self, message: MessageAnalysis) -> Reply | None:
        """The card a story asks for beside the history it tells, with the note that the
        history is for the team, or None.

        "J'ai 58 ans, je suis diabétique et les sparadraps m'irritent la peau. Après
        l'injection, est-ce qu'il faudra porter un gros pansement ?": the question is about the
        dressing, which the page answers; the diabetes still goes to the team. Only when the
        question names none of the history ("Je prends du Xarelto, faut-il l'arrêter avant ?"
        asks about the treatment: no card) and its card is a fact of the procedure, never
        whether the treatment suits or is safe for this patient (_FACTS_BESIDE_HISTORY)."""
        if len(message.questions) != 1:
            return None
        question = message.questions[0].text
        if intents.names_history(question):
            return None
        if intents.tells_current_condition(message) or intents.names_allergy(message):
            # Pregnant, breastfeeding, on anticoagulants, a neuromuscular or bleeding disorder,
            # an allergy: the injection or its products are weighed against it; the history
            # reply alone, no card.
            return None
        if _SUITABILITY_RE.search(normalize(question)):
            # "Je suis enceinte. Est-ce que l'injection est possible ?": whether it may be done
            # for this patient, the team's answer alone.
            return None
        result = self._question_alone(message)
        entry = result.entry if result is not None else None
        if result is None or entry is None or entry.id not in _FACTS_BESIDE_HISTORY:
            return None
        answered = self.answer(entry, result.score, self._t(texts.HISTORY_BESIDE_ANSWER))
        return replace(
            answered,
            topic=HISTORY_TOPIC,
            # The forward button needs the stored message (see the Telegram handler).
            record_unanswered=True,
            offer_forward=True,
        )

    def fallback(self, result: FaqResult) -> Reply:
        """No fact from the page: the topic named when recognised, the line, the forward button."""
        topic = result.topic
        template = texts.FALLBACK
        if topic is not None and topic.id:
            template = texts.TOPIC_FALLBACK.replace("{missing}", topic.missing)
        return Reply(
            "fallback",
            self._t(template),
            score=result.score,
            suggestions=result.candidates,
            record_unanswered=True,
            offer_forward=True,
            topic=topic.id if topic is not None and topic.id else None,
        )

    def _two_questions(self, message: MessageAnalysis) -> Reply | None:
        """Both answers when the message asks two different questions the FAQ answers; the one
        answer (and the other's topic) when only one of them is on the page; else None."""
        # "Pourriez-vous me la préciser ?" has nothing of its own: it asks about what comes
        # before it (the FAQ reads the two together), never a second question.
        questions = tuple(c for c in message.questions if not is_bare_ask(c.text))
        marked = [c for c in questions if "?" in message.sentences[c.sentence]]
        if marked:
            questions = tuple(
                c for c in questions if c in marked or not tells_only(message.sentences[c.sentence])
            )
        if len(questions) < 2:
            return None
        answered: list[tuple[FaqEntry, float]] = []
        topics: list[FaqResult] = []  # fallbacks naming a not-on-the-page topic
        elliptic = False
        for i, clause in enumerate(questions):
            text = with_antecedent(clause.text, questions[i - 1].text) if i else clause.text
            # A clause read as a question asks even without its "?" ("Est-ce que ça marche, et
            # est-ce que ça évite une opération ?": "ça marche" is not an OK here).
            result = self.faq.match(without_request_frame(text), asks=True)
            if result.kind == "clarify" and answered:
                # Two questions ask two things: "combien de temps sur la table, puis combien de
                # temps en salle de repos ?" is not the duration card twice. Between the card
                # already answered and another, the other one is asked.
                result = self.faq.match(
                    without_request_frame(text), answered=frozenset(e.id for e, _ in answered)
                )
            if result.kind == "answer" and result.entry is not None:
                if all(e.id != result.entry.id for e, _ in answered):
                    answered.append((result.entry, result.score))
                elliptic = elliptic or _is_elliptic(clause.text)
            elif result.kind == "fallback" and result.topic is not None and result.topic.id:
                topics.append(result)
        if not answered:
            return None
        if len(answered) == 1 and topics and elliptic:
            # "... un arrêt de travail est-il prévu, et pour quelle durée ?": a follow-up with
            # one word of its own asks about the subject before it, here not on the page.
            return self.fallback(topics[0])
        if len(answered) == 1:
            if not topics:
                return None  # the whole message is matched as usual
            (entry, score), other = answered[0], topics[0]
            assert other.topic is not None  # only fallbacks naming a topic are kept
            reply = self.answer(entry, score=score)
            note = self._t(
                texts.OTHER_QUESTION_NOT_ON_PAGE.replace("{missing}", other.topic.missing)
            )
            return Reply(
                "answer",
                reply.text + "\n\n" + note,
                buttons=reply.buttons,
                faq_id=entry.id,
                score=score,
                record_unanswered=True,
            )
        (first, s1), (second, _s2) = answered[:2]
        return self._both(first, second, s1)

    def _both(self, first: FaqEntry, second: FaqEntry, score: float) -> Reply:
        text = self._t(first.answer) + texts.SECOND_ANSWER_SEPARATOR + self._t(second.answer)
        return Reply("answer", text, faq_id=first.id, score=score, answers=(first.id, second.id))

    def urgent(self, found: TriageResult) -> Reply:
        return Reply("urgent", self.triage.reply(found, self.hotline), triage=found)

    def human_request(self) -> Reply:
        """The /urgence command: a person is asked for explicitly."""
        return self.urgent(self.triage.human_request())

    # --- answers and browsing -----------------------------------------------------------

    def answer(self, entry: FaqEntry, score: float | None = None, note: str = "") -> Reply:
        """The card's answer, a note after it if any, then its related questions as buttons."""
        related = [e for e in (self.faq.get(i) for i in entry.related) if e is not None]
        text = self._t(entry.answer)
        if note:
            text += "\n\n" + note
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
