"""The FAQ's learned second reader (bot/faq/learned.py): the committed model, and the one way
it may change an answer (agreeing with the matcher's first entry)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.faq_model import classes_of
from bot.faq import Faq, load_faq
from bot.faq.learned import MODEL_PATH, cached_model, load_model
from bot.yamlfile import ContentError
from tests.helpers import problems

ROOT = Path(__file__).resolve().parent.parent
FAQ_DIR = ROOT / "faq"
SOURCE_DIR = ROOT / "data" / "source"


@pytest.fixture(scope="module")
def faq() -> Faq:
    return load_faq(FAQ_DIR, SOURCE_DIR)


@pytest.fixture(scope="module")
def alone() -> Faq:
    return load_faq(FAQ_DIR, SOURCE_DIR, model=None)


class Always:
    """A second reader that always names one class (to test the rule, not the model)."""

    def __init__(self, entry_id: str, prob: float = 1.0) -> None:
        self.entry_id = entry_id
        self.prob = prob
        self.agree_min = 0.5
        self.pick_min = 0.5
        self.overrule_min = 2.0  # never
        self.rescue_min = 2.0  # never

    def best(self, text: str) -> tuple[str, float]:
        return self.entry_id, self.prob


def with_reader(reader: Always) -> Faq:
    faq = load_faq(FAQ_DIR, SOURCE_DIR, model=None)
    faq.model = reader
    return faq


def test_committed_model_matches_the_faq(faq: Faq) -> None:
    # Fails when an entry or topic is added, renamed or removed without retraining:
    # `python -m bench.faq_model --train` (the bot itself degrades safely, see below).
    model = cached_model(MODEL_PATH)
    assert model is not None and faq.model is model
    assert model.classes == classes_of(faq)
    assert 0.2 <= model.agree_min <= 1.0


def test_model_reads_an_faq_phrasing_and_a_typo(faq: Faq) -> None:
    model = load_model(MODEL_PATH)
    for text, entry_id in [
        ("combien de temps dure l'injection", "duree"),
        ("cb de tps ca dur linjection", "duree"),
        ("est ce que ca laisse une cicatrice", "cicatrice"),
    ]:
        probs = model.probabilities(text)
        assert math.isclose(sum(probs), 1.0, rel_tol=1e-6)
        assert model.best(text)[0] == entry_id, text


def test_agreement_answers_what_the_matcher_alone_would_ask(faq: Faq, alone: Faq) -> None:
    # From the tuning set: the matcher ranks the right card first but asks "did you mean".
    text = "le produit est injecté dans quel muscle exactement ?"
    assert alone.match(text).kind == "clarify"
    result = faq.match(text)
    assert result.kind == "answer" and result.entry is not None
    assert result.entry.id == "site_injection"
    assert result.learned and not alone.match(text).learned


def test_reader_never_answers_an_entry_the_matcher_did_not_offer(alone: Faq) -> None:
    text = "le produit est injecté dans quel muscle exactement ?"
    asked = alone.match(text)
    assert asked.kind == "clarify"
    offered = [e.id for e in asked.candidates]
    elsewhere = next(e.id for e in alone.entries if e.id not in offered)
    assert with_reader(Always(elsewhere)).match(text).kind == "clarify"
    assert with_reader(Always(offered[0], prob=0.4)).match(text).kind == "clarify"  # < agree_min
    for entry_id in offered:  # agreeing on the first, or picking another one offered
        chosen = with_reader(Always(entry_id)).match(text)
        assert chosen.kind == "answer" and chosen.entry is not None
        assert chosen.entry.id == entry_id


def test_reader_moves_an_answer_only_to_a_close_candidate(alone: Faq) -> None:
    # Round 9: "où" read as the hospital, while the patient asks where the needle goes.
    text = "le botox c injecte ou exactement"
    answered = alone.match(text)
    assert answered.kind == "answer" and answered.entry is not None
    assert answered.entry.id == "lieu"
    ranking = alone.ranking(text)
    close = [
        alone.entries[c.index].id
        for c in ranking.candidates[:3]
        if not ranking.is_topic(c) and c.raw >= ranking.candidates[0].raw - 0.2
    ]
    assert "site_injection" in close
    for entry_id, expected in [
        ("site_injection", "site_injection"),
        (next(e.id for e in alone.entries if e.id not in close), "lieu"),  # not close: ignored
    ]:
        sure = Always(entry_id)
        sure.overrule_min = 0.9
        moved = with_reader(sure).match(text)
        assert moved.entry is not None and moved.entry.id == expected, entry_id
        sure.prob = 0.8  # under overrule_min: the matcher's answer stands
        kept = with_reader(sure).match(text)
        assert kept.entry is not None and kept.entry.id == "lieu"


def test_reader_rescues_only_an_entry_the_matcher_ranked(alone: Faq) -> None:
    # After round 11's formal "plateau technique" (now a synonym of équipement, as are
    # "moyens techniques"): a paraphrase far from every phrasing; the matcher falls back.
    text = (
        "Madame, Monsieur, de quelles ressources techniques dispose votre bloc pour ce type"
        " d'intervention ?"
    )
    fell = alone.match(text)
    assert fell.kind == "fallback" and fell.topic is None
    ranking = alone.ranking(text)
    ranked = [alone.entries[c.index].id for c in ranking.candidates if not ranking.is_topic(c)]
    assert "equipement" in ranked
    unranked = next(e.id for e in alone.entries if e.id not in ranked)
    sure = Always("equipement", prob=0.9)
    sure.rescue_min = 0.8
    rescued = with_reader(sure).match(text)
    assert rescued.kind == "answer" and rescued.entry is not None
    assert rescued.entry.id == "equipement"
    assert rescued.learned  # the triage safety net still reads such a message
    sure.prob = 0.7  # under rescue_min
    assert with_reader(sure).match(text).kind == "fallback"
    elsewhere = Always(unranked, prob=1.0)
    elsewhere.rescue_min = 0.5
    assert with_reader(elsewhere).match(text).kind == "fallback"


def test_reader_never_overrules_a_not_on_the_page_topic() -> None:
    # Even a reader sure of the duration card leaves "how long does the EFFECT last" alone.
    reader = Always("duree")
    reader.rescue_min = 0.5
    faq = with_reader(reader)
    for text in ("combien de temps dure l'effet du botox ?", "arrêt de travail ?"):
        result = faq.match(text)
        assert result.kind == "fallback" and result.topic is not None, text


def test_reader_of_a_removed_entry_changes_nothing(alone: Faq) -> None:
    faq = with_reader(Always("entree_supprimee"))
    for text in ("le produit est injecté dans quel muscle exactement ?", "ça marche ?"):
        assert faq.match(text) == alone.match(text)


def test_damaged_model_is_reported_and_refused(tmp_path: Path) -> None:
    broken = tmp_path / "model.bin"
    broken.write_bytes(b'{"classes": ["a"]}\nnot zlib')
    errors = [str(e) for e in problems(load_faq, FAQ_DIR, SOURCE_DIR, model=broken)]
    assert len(errors) == 1 and "modèle de la FAQ illisible" in errors[0]
    with pytest.raises(ContentError):
        load_faq(FAQ_DIR, SOURCE_DIR, model=broken)


def test_missing_model_file_leaves_the_matcher_alone(tmp_path: Path) -> None:
    faq = load_faq(FAQ_DIR, SOURCE_DIR, model=tmp_path / "absent.bin")
    assert faq.model is None
