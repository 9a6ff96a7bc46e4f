"""Urgency detection: the shipped rules, the evaluation set, tricky phrasings, file checks.

The numbers of the evaluation (recall per category, false-alarm rate) are printed by::

    .venv/bin/python -c "from tests.test_triage import print_report; print_report()"
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.triage import (
    HUMAN_REQUEST_ID,
    SEVERITY_ORDER,
    Severity,
    TriageResult,
    TriageRules,
    load_triage,
    parse_pattern,
    severity_rank,
)
from bot.yamlfile import ContentError
from tests.helpers import problems

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "data" / "triage.yaml"
EVAL = ROOT / "tests" / "data" / "triage_eval.yaml"
HOTLINE = "01 46 41 25 25"


@pytest.fixture(scope="module")
def rules() -> TriageRules:
    return load_triage(RULES)


def assess(rules: TriageRules, text: str) -> TriageResult | None:
    return rules.assess(text)


# --- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrgentItem:
    text: str
    severity: Severity
    category: str
    heldout: bool = False


@dataclass(frozen=True)
class CalmItem:
    text: str
    heldout: bool = False


@dataclass
class EvalItems:
    urgent: list[UrgentItem] = field(default_factory=list)
    calm: list[CalmItem] = field(default_factory=list)


def load_eval(path: Path = EVAL) -> EvalItems:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = EvalItems()
    for raw in data["urgent"]:
        items.urgent.append(
            UrgentItem(raw["text"], raw["severity"], raw["category"], bool(raw.get("heldout")))
        )
    for raw in data["non_urgent"]:
        if isinstance(raw, str):
            items.calm.append(CalmItem(raw))
        else:
            items.calm.append(CalmItem(raw["text"], bool(raw.get("heldout"))))
    return items


def evaluate(rules: TriageRules, items: EvalItems) -> dict[str, Any]:
    """Recall per expected category, misses, wrong severities and false alarms."""
    per_cat: dict[str, list[int]] = {}
    missed: list[str] = []
    wrong_severity: list[str] = []
    wrong_category: list[str] = []
    for item in items.urgent:
        found = rules.assess(item.text)
        counts = per_cat.setdefault(item.category, [0, 0])
        counts[1] += 1
        if found is None:
            missed.append(f"[{item.category}] {item.text}")
            continue
        counts[0] += 1
        if found.severity != item.severity:
            wrong_severity.append(f"{item.severity} != {found.severity}: {item.text}")
        if item.category not in found.categories:
            wrong_category.append(f"{item.category} not in {found.categories}: {item.text}")
    false_alarms: list[str] = []
    for calm in items.calm:
        found = rules.assess(calm.text)
        if found is not None:
            false_alarms.append(f"{found.categories}: {calm.text}")
    n_calm = len(items.calm)
    return {
        "urgent": len(items.urgent),
        "caught": len(items.urgent) - len(missed),
        "recall_by_category": {k: (v[0], v[1]) for k, v in sorted(per_cat.items())},
        "missed": missed,
        "wrong_severity": wrong_severity,
        "wrong_category": wrong_category,
        "non_urgent": n_calm,
        "false_alarms": false_alarms,
        "false_alarm_rate": len(false_alarms) / n_calm if n_calm else 0.0,
    }


def print_report() -> None:
    """Human-readable evaluation report (all items, then the held-out ones alone)."""
    rules = load_triage(RULES)
    items = load_eval()
    held = EvalItems([i for i in items.urgent if i.heldout], [c for c in items.calm if c.heldout])
    for name, subset in (("all", items), ("held out", held)):
        report = evaluate(rules, subset)
        print(f"== {name}: urgent caught {report['caught']}/{report['urgent']}")
        for cat, (ok, total) in report["recall_by_category"].items():
            print(f"   {cat:20} {ok:3}/{total:<3} {100 * ok / total:5.1f} %")
        rate = 100 * report["false_alarm_rate"]
        print(
            f"   false alarms {len(report['false_alarms'])}/{report['non_urgent']} ({rate:.1f} %)"
        )
        for line in report["missed"] + report["wrong_severity"] + report["false_alarms"]:
            print("   -", line)


def test_eval_set_is_big_and_covers_every_category(rules: TriageRules) -> None:
    items = load_eval()
    assert len(items.urgent) >= 170
    assert len(items.calm) >= 170
    covered = Counter(i.category for i in items.urgent)
    for cat in rules.categories:
        if cat.severity == "concern":
            continue  # not alerts: tested in tests/test_triage_context.py
        assert covered[cat.id] >= 5, f"{cat.id}: only {covered[cat.id]} urgent examples"
    assert {i.severity for i in items.urgent} == set(SEVERITY_ORDER)


def test_eval_no_urgent_message_is_missed(rules: TriageRules) -> None:
    report = evaluate(rules, load_eval())
    assert not report["missed"], "missed urgent messages:\n" + "\n".join(report["missed"])


def test_eval_severity_and_category_are_right(rules: TriageRules) -> None:
    report = evaluate(rules, load_eval())
    problems = report["wrong_severity"] + report["wrong_category"]
    assert not problems, "\n".join(problems)


def test_eval_false_alarms_stay_rare(rules: TriageRules) -> None:
    report = evaluate(rules, load_eval())
    assert report["false_alarm_rate"] <= 0.10, "\n".join(report["false_alarms"])


# --- the shipped file and the public API ------------------------------------------------------


def test_shipped_rules_are_valid() -> None:
    assert problems(load_triage, RULES) == []


def test_severity_order_and_labels(rules: TriageRules) -> None:
    assert SEVERITY_ORDER == ("vital", "detresse", "urgent", "humain")
    ranks = [severity_rank(s) for s in SEVERITY_ORDER]
    assert ranks == sorted(ranks, reverse=True) and min(ranks) > 0
    assert severity_rank("nimporte") == 0
    for sev in SEVERITY_ORDER:
        assert rules.severity_label(sev).strip()
    assert "vitale" in rules.severity_label("vital").lower()
    assert rules.severity_label("inconnu") == "inconnu"


def test_human_request(rules: TriageRules) -> None:
    found = rules.human_request()
    assert found.severity == "humain"
    assert found.categories == (HUMAN_REQUEST_ID,)
    [category] = [c for c in rules.categories if c.id == HUMAN_REQUEST_ID]
    assert found.labels == (category.label,)


@pytest.mark.parametrize("severity", SEVERITY_ORDER)
def test_every_reply_gives_the_hotline(rules: TriageRules, severity: Severity) -> None:
    reply = rules.reply(TriageResult(severity, ("x",), ("X",)), HOTLINE)
    assert HOTLINE in reply
    assert "{" not in reply and "<" not in reply  # plain text, every placeholder filled
    assert "vous" in reply.lower()  # vouvoiement


def test_reply_wording_per_severity(rules: TriageRules) -> None:
    def reply(sev: Severity) -> str:
        return rules.reply(TriageResult(sev, ("x",), ("X",)), HOTLINE)

    vital = reply("vital")
    assert "15" in vital and "112" in vital and "114" in vital
    # The emergency numbers come before the hospital line.
    assert vital.index("15") < vital.index(HOTLINE)
    assert "3114" in reply("detresse") and "112" in reply("detresse")
    assert "112" in reply("urgent") and "15" in reply("urgent")
    assert "15" in reply("humain")


def test_result_is_most_severe_first(rules: TriageRules) -> None:
    found = assess(rules, "je saigne, j'ai de la fièvre et je n'arrive plus à respirer")
    assert found is not None
    assert found.severity == "vital"
    assert found.categories[0] == "respiration"
    assert {"saignement", "fievre"} <= set(found.categories)
    assert len(found.labels) == len(found.categories)
    severity = {c.id: c.severity for c in rules.categories}
    ranks = [severity_rank(severity[c]) for c in found.categories]
    assert ranks == sorted(ranks, reverse=True)


def test_empty_and_punctuation_only(rules: TriageRules) -> None:
    for text in ("", "   ", "?!", "😊", "..."):
        assert assess(rules, text) is None


def test_max_length_message_is_handled(rules: TriageRules) -> None:
    filler = "Bonjour, tout va bien, pas de fièvre, merci pour le suivi. " * 80
    tail = " je saigne beaucoup"
    text = filler[: 4096 - len(tail)] + tail
    assert len(text) == 4096
    found = assess(rules, text)
    assert found is not None and found.categories == ("saignement",)
    # A pathological message (one word repeated) is handled too.
    assert assess(rules, ("mal " * 1100)[:4096]) is None
    assert assess(rules, ("pas de " * 700)[:4096]) is None


# --- tricky phrasings -------------------------------------------------------------------------

CASES: list[tuple[str, str | None]] = [
    # nominal negation cancels, verbal negation is the symptom
    ("pas de fièvre, tout va bien", None),
    # knowing how to answer is no call asked for; asking whether the bot is a person neither
    ("Mon prof n'a pas su me répondre.", None),
    # a distance is no temperature; sleeping badly is no pain
    ("je fais 40 000 km par an", None),
    ("je dors très mal hors de chez moi", None),
    ("j'ai 40 de fièvre", "fievre"),
    ("Tu es un robot ou une vraie personne ?", None),
    ("est-ce qu'il y a une vraie personne derrière ce bot ?", "demande_humain"),
    ("Je voudrais parler à une vraie personne, pas à un robot.", "demande_humain"),
    ("pas de fièvre mais je n'arrive plus à uriner", "retention_urinaire"),
    ("je n'ai pas eu de fièvre", None),
    ("aucune trace de sang", None),
    ("je n'ai plus de fièvre depuis hier", None),
    ("il n'y a plus de sang", None),
    ("je ne peux pas respirer", "respiration"),
    ("je n'arrive pas à avaler", "deglutition"),
    ("je ne peux ni avaler ni respirer", "deglutition"),
    ("je n'ai plus de force dans les bras", "faiblesse"),  # the absence is the symptom
    ("pas de souci, je saigne encore", "saignement"),  # "je" stops the negation
    ("pas normal ce saignement", "saignement"),
    ("pas de fièvre, de frissons ni de saignement", None),  # a negated list
    ("pas de fièvre, des saignements", "saignement"),  # "des" is not negated French
    ("la zone n'est pas rouge", None),
    ("je ne suis pas essoufflée", None),
    ("ça ne saigne plus", None),
    ("ça ne saigne pas beaucoup", "saignement"),  # a little bleeding still alerts
    # questions about risk vs reports
    ("y a-t-il un risque d'infection ?", None),
    ("est-ce que ça peut donner de la fièvre ?", None),
    ("quels sont les effets secondaires ?", None),
    ("est-il possible de saigner après ?", None),
    ("si j'ai de la fièvre après, je fais quoi ?", None),
    ("est-ce normal d'avoir de la fièvre ?", "fievre"),
    ("j'ai de la fièvre, est-ce normal ?", "fievre"),
    ("que faire, je saigne", "saignement"),
    ("est-il possible de saigner autant depuis hier ?", "saignement"),
    ("y a t il un risque d'infection ? j'ai de la fièvre", "fievre"),
    # intensity of pain
    ("j'ai un peu mal", None),
    ("ça tire un peu", None),
    ("pas trop mal aujourd'hui", None),
    ("j'ai très mal", "douleur_intense"),
    ("douleur 8/10", "douleur_intense"),
    ("9 sur 10 depuis ce matin", "douleur_intense"),
    ("ça empire", "douleur_intense"),
    ("mon rendez-vous est le 9/10", None),
    ("j'ai très mal dormi", None),
    ("j'ai très mal depuis des années, c'est pour ça que je viens", None),
    ("j'ai très mal depuis 2 jours", "douleur_intense"),
    # idioms
    ("ça me tue d'attendre", None),
    ("je meurs d'impatience", None),
    ("mort de rire", None),
    ("je suis morte de fatigue", None),
    ("ça me fait suer", None),
    ("j'ai mal au coeur", None),  # nausea, not chest pain
    ("je veux mourir", "detresse"),
    ("je vais me tuer", "detresse"),
    ("j'en peux plus d'attendre", None),
    # SMS, typos, no accents, shouting
    ("jpeux pa respirer", "respiration"),
    ("g 39 de fievre", "fievre"),
    ("jsaigne", "saignement"),
    ("JE SAIGNE", "saignement"),
    ("j'ai de la fiebre", "fievre"),
    ("je siagne", "saignement"),
    ("jpp", "detresse"),
    ("c'est urgent", "mot_urgence"),
    ("cest urgent", "mot_urgence"),
    ("c urgent", "mot_urgence"),
    # correct words next to a watched one are not typos
    ("je peux me baigner après ?", None),
    ("combien ça coûte ?", None),
    ("j'ai envie de courir à nouveau", None),
    ("je pars à l'étranger", None),
    ("je ne pourrai pas revenir jeudi", None),
    ("je suis fière de moi", None),
    ("il faut prévoir combien d'argent ?", None),
    # asking for a person
    ("je veux parler à quelqu'un", "demande_humain"),
    ("rappelez-moi", "demande_humain"),
    ("je m'appelle Sophie", None),
    ("le médecin m'a appelée hier", None),
    ("ce n'est pas urgent", None),
    # the word "AVC" itself alerts; a past one, a relative's, or "avc" texted for "avec" not
    ("je crois que je fais un AVC", "voix_parole"),
    ("jcrois que jfais un avc", "voix_parole"),
    ("j'ai fait un AVC en 2019, je préfère vous le dire", None),
    ("jpeux venir avc ma mère ?", None),
    ("le doc pique avc 1 écho ?", None),
    # a feared malaise is no malaise; one of today still alerts
    ("Je suis inquiète de faire un malaise dans le taxi.", None),
    ("je suis inquiète de ce saignement", "saignement"),
    # an intense fear of pain is no intense pain; two pieces, fear and pain, still alert
    ("J'ai horriblement peur d'avoir mal pendant la piqûre.", None),
    ("j'ai très peur, j'ai très mal", "douleur_intense"),
    # when the line answers, or an exchange planned in the care, is no call asked for now
    ("Est-ce que je peux joindre l'équipe à toute heure ?", None),
    ("Aurai-je l'occasion d'un échange approfondi avec l'équipe ?", None),
    ("je veux parler à l'équipe", "demande_humain"),
    # nothing relieved, in the past, is the story; nothing relieves, now, alerts
    ("Rien ne m'a vraiment soulagé jusqu'ici.", None),
    ("rien ne me soulage", "douleur_intense"),
    # weary of doctors is no tiredness of the body
    ("Je suis fatiguée de courir de médecin en médecin.", None),
    # a symptom buried in a long, polite message
    (
        "Bonjour docteur, merci pour tout, l'accueil était parfait et l'infirmière très "
        "gentille. Je voulais aussi vous demander pour le parking la prochaine fois. Ah et "
        "depuis ce matin je vois double, c'est grave ?",
        "vue_paupieres",
    ),
]


@pytest.mark.parametrize(("text", "category"), CASES)
def test_tricky_phrasings(rules: TriageRules, text: str, category: str | None) -> None:
    found = assess(rules, text)
    if category is None:
        assert found is None, f"unexpected alert {found}"
    else:
        assert found is not None, "missed"
        assert category in found.categories


def test_the_hospital_page_does_not_alert(rules: TriageRules) -> None:
    """Patients copy sentences from the hospital page into their questions."""
    text = (ROOT / "data" / "source" / "injection-botox-syndrome-des-releveurs.txt").read_text(
        encoding="utf-8"
    )
    alerts = [line for line in text.splitlines() if line.strip() and rules.assess(line)]
    assert alerts == [], alerts


def test_pattern_precedence() -> None:
    steps = parse_pattern("pas+de|d fievre")
    assert [[a.word for a in alts] for alts, _ in steps] == [["pas"], ["de", "d"], ["fievre"]]
    assert [glued for _, glued in steps] == [False, True, False]
    prefix = parse_pattern("=saign*")[0][0][0]
    assert prefix.prefix and prefix.exact and prefix.word == "saign"
    # SMS forms in a pattern are expanded like messages, as glued words
    steps = parse_pattern("jsuis")
    assert [[a.word for a in alts] for alts, _ in steps] == [["je"], ["suis"]]


# --- checking broken files --------------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the shipped rules with one edit; returns it and the line of the edit."""
    text = RULES.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    at = text.index(old)
    text = text.replace(old, new)
    path = tmp_path / "triage.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text.count("\n", 0, at) + 1


def _messages(path: Path) -> list[str]:
    return [str(e) for e in problems(load_triage, path)]


BROKEN: list[tuple[str, str, str]] = [
    (
        "    severity: urgent\n    patterns:\n      - fievr*\n",
        "    severity: grave\n    patterns:\n      - fievr*\n",
        "gravité inconnue « grave »",
    ),
    ("  - id: saignement\n", "  - id: fievre\n", "id « fievre » en double"),
    ("      - urticaire\n", "      - urti||caire\n", "alternative vide"),
    ("      - urticaire\n", "      - urticaire *\n", "« * » seul"),
    ("      - urticaire\n", "      - urti*caire\n", "mot mal formé « urti*caire »"),
    ("      - urticaire\n", "      - pas+ urticaire\n", "« + » doit relier deux mots"),
    ("      - urticaire\n", "      - ur*\n", "préfixe « ur* » trop court"),
    ("      - urticaire\n", "      - urticaire|svp\n", "« svp » s'écrit en plusieurs mots"),
    ("      - urticaire\n", "      - urticaire (peau)\n", "caractère non autorisé « ( »"),
    ("      - urticaire\n", '      - ""\n', "élément vide dans « patterns »"),
    # Reply errors point at the "reply:" key of that severity.
    (
        "    reply: |\n      Bien sûr. Vous pouvez joindre l'équipe à tout moment au {hotline}.\n",
        "    reply: |\n      Bien sûr. Vous pouvez joindre l'équipe à tout moment.\n",
        "« humain » : la réponse doit contenir {hotline}",
    ),
    (
        "    reply: |\n      Bien sûr. Vous pouvez joindre l'équipe à tout moment au {hotline}.\n",
        "    reply: |\n      Bien sûr, {prenom}. Vous pouvez joindre l'équipe au {hotline}.\n",
        "espace réservé inconnu « {prenom} »",
    ),
    ("    label: Saignement\n", "    lable: Saignement\n", "clé inconnue « lable »"),
    ('[je, j, tu, il, elle, "on",', "[je, j, tu, il, elle, on,", "lu comme vrai/faux"),
    (
        "    skip_when_question: false\n    patterns:\n      - parler",
        "    skip_when_question: peut-etre\n    patterns:\n      - parler",
        "« skip_when_question » doit valoir true ou false",
    ),
    ("max_gap: 3\n", "max_gap: beaucoup\n", "« max_gap » doit être un nombre entier"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN)
def test_check_reports_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path, line = _broken(tmp_path, old, new)
    found = _messages(path)
    assert any(m.startswith(f"{path}:{line}: ") and message in m for m in found), found
    with pytest.raises(ContentError):
        load_triage(path)


def test_check_empty_pattern_list(tmp_path: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    start = text.index("    patterns:\n      - urticaire\n")
    end = text.index("    exclusions:", start)
    text = text[:start] + "    patterns: []\n" + text[end:]
    path = tmp_path / "triage.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.count("\n", 0, start) + 1
    assert f"{path}:{line}: « patterns » ne peut pas être une liste vide" in _messages(path)


def test_check_missing_severity_and_required_category(tmp_path: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    start = text.index("  humain:\n")
    end = text.index("\n\n", start)
    text = text[:start] + text[end + 1 :]
    text = text.replace("  - id: demande_humain\n", "  - id: demande_contact\n")
    path = tmp_path / "triage.yaml"
    path.write_text(text, encoding="utf-8")
    found = _messages(path)
    severities_line = text.splitlines().index("severities:") + 1
    categories_line = text.splitlines().index("categories:") + 1
    assert f"{path}:{severities_line}: gravité « humain » manquante dans « severities »" in found
    assert any(
        m.startswith(f"{path}:{categories_line}: catégorie « demande_humain » obligatoire")
        for m in found
    ), found


def test_check_yaml_errors(tmp_path: Path) -> None:
    # A duplicate key is reported on its own line by the shared loader.
    path, line = _broken(
        tmp_path,
        "    label: Saignement\n",
        "    label: Saignement\n    label: Sang\n",
    )
    assert _messages(path) == [f"{path}:{line + 1}: YAML invalide : clé en double « label »"]
    # PyYAML reports an unclosed bracket where it notices it: at or after the edit.
    path, line = _broken(tmp_path, "max_gap: 3\n", "max_gap: [3\n")
    found = _messages(path)
    assert len(found) == 1 and "YAML invalide" in found[0], found
    assert int(found[0].removeprefix(f"{path}:").split(":")[0]) >= line


def test_check_collects_every_error(tmp_path: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    text = text.replace("      - urticaire\n", "      - urti||caire\n")
    text = text.replace("  - id: saignement\n", "  - id: fievre\n")
    path = tmp_path / "triage.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as exc:
        load_triage(path)
    assert len(exc.value.errors) == 2
    assert all(str(e).startswith(f"{path}:") for e in exc.value.errors)


def test_check_missing_file(tmp_path: Path) -> None:
    found = problems(load_triage, tmp_path / "absent.yaml")
    assert len(found) == 1 and "lecture impossible" in found[0].message


def test_a_copy_of_the_shipped_file_loads(tmp_path: Path) -> None:
    copy = tmp_path / "triage.yaml"
    shutil.copy(RULES, copy)
    assert problems(load_triage, copy) == []
    assert load_triage(copy).assess("je saigne") is not None


# Words whose nearest watched word is their own family: "gratter" is "gratte", an itch.
SAME_FAMILY = frozenset(
    {"gratter", "fatiguer", "fatiguez", "reagi", "reagir", "reagis", "tiendras", "tiendrait"}
)


def test_common_words_never_read_as_typos(rules: TriageRules) -> None:
    # A correctly spelled common word read as a typo of a watched word is a false alarm in
    # every message that uses it: "je voulais vous demander..." was read as "démange" and
    # every such question got the "douleur ou gêne" reply. Checked on the 20,000 most
    # frequent French words (tests/data/mots_courants.txt): a word that triggers triage on
    # its own only through typo tolerance must be in data/triage.yaml's no_typo list.
    lexicon = rules._matcher.lexicon  # the test reads the compiled lexicon on purpose
    words = [
        w
        for w in (ROOT / "tests" / "data" / "mots_courants.txt").read_text().splitlines()
        if w and not w.startswith("#")
    ]
    assert len(words) > 18000
    read_as_typo = []
    for word in words:
        atoms = [lexicon.atoms[a] for a in lexicon.lookup(word)]
        if not atoms or word in SAME_FAMILY:
            continue
        if any(a.word == word or (a.prefix and word.startswith(a.word)) for a in atoms):
            continue  # a watched word itself, not a typo
        found = rules.analyse(word)
        if found.alert or found.concern or found.asked:
            read_as_typo.append(word)
        # Patterns of two words too ("tiendra+pas": "il ne viendra pas demain" was read as
        # "il ne tiendra pas", distress).
        for tail in ("pas", "plus"):
            found = rules.analyse(f"il {word} {tail}")
            if found.alert or found.concern:
                read_as_typo.append(f"{word} {tail}")
    assert read_as_typo == []


@pytest.mark.parametrize(
    ("text", "human"),
    [
        # Asking whether a way to reach the team exists is a question about the line.
        ("Madame, Monsieur, existe-t-il un moyen de joindre l'équipe médicale ?", False),
        ("Il y a quelqu'un à joindre au téléphone ?", False),
        ("de quelle manière je puis joindre votre équipe si une interrogation survenait ?", False),
        ("je voudrais que quelqu'un me rappelle", True),
        ("je veux parler à un médecin", True),
    ],
)
def test_asking_about_the_line_is_not_asking_for_a_call(
    rules: TriageRules, text: str, human: bool
) -> None:
    found = rules.assess(text)
    assert (found is not None and found.severity == "humain") is human, found


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Je bosse loin et je dois poser mes jours.", False),  # to work, not a lump
        ("j'ai une bosse rouge à l'endroit de la piqûre", True),
        ("Je ne peux pas monter à Paris tous les mois pour des piqûres.", False),  # to travel
        ("je ne peux plus monter les escaliers", True),
    ],
)
def test_everyday_idioms_are_not_signs(rules: TriageRules, text: str, alert: bool) -> None:
    assert (rules.analyse(text).alert is not None) is alert
