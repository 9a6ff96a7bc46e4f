"""Issue 10 at the conversation level: context, concern path, English, the line unreachable.

Table tests through ``Conversation.respond``, the function Telegram, ``demo`` and ``ask`` call.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import load_settings
from bot.content import load_conversation
from bot.conversation import Conversation
from bot.triage import CONCERN, severity_rank

ROUND4 = Path(__file__).parent / "data" / "triage_round4.yaml"


@pytest.fixture(scope="module")
def conv() -> Conversation:
    return load_conversation(load_settings(None, {}))


ALERTS = [
    # (message, severity at least)
    # Swelling that happens stays vital, "faire" or not (only "me faire gonfler" is a wish).
    ("ça me fait gonfler les lèvres depuis l'injection", "vital"),
    ("ça a fait gonfler mes lèvres et ma langue", "vital"),
    ("ça n'arrête pas de saigner", "urgent"),
    ("je saigne sans arrêt depuis ce matin", "urgent"),
    ("la douleur ne fait qu'augmenter depuis l'injection", "urgent"),
    ("ma femme a 39 depuis l'injection", "urgent"),
    ("mon mari respire très mal, il a les lèvres bleues", "vital"),
    ("I can't breathe", "vital"),
    ("I'm bleeding a lot", "urgent"),
    ("personne ne répond au téléphone", "humain"),
    ("qq1 peut m'appeler ?", "humain"),
    ("can someone call me please", "humain"),
    ("je suis tombée, je n'arrive pas à me relever", "urgent"),
    ("j'avais un peu mal hier et maintenant c'est insupportable", "urgent"),
    # session 4 (round 6): "comme si" describes, it does not suppose; a relative's "now";
    # pseudo-negation "n'en finit pas de"; on the floor unable to get up is the 15.
    ("c'est comme si je manquais d'air en permanence", "vital"),
    ("je tiens plus ma tête droite elle tombe en avant", "vital"),
    ("je suis tombée, je n'arrive pas à me relever", "vital"),
    ("un peu de sang sur le papier toilette", "urgent"),  # bleeding is never played down
    ("une petite fièvre, 38,4 ce soir", "urgent"),
]


@pytest.mark.parametrize(("text", "severity"), ALERTS)
def test_red_flags_alert_with_the_line(conv: Conversation, text: str, severity: str) -> None:
    reply = conv.respond(text)
    assert reply.kind == "urgent"
    assert reply.triage is not None and reply.triage.is_alert
    assert severity_rank(reply.triage.severity) >= severity_rank(severity)
    assert conv.hotline in reply.text
    assert not reply.triage.net_only


CALM = [
    # A cosmetic wish told as a joke, not a swelling (round 16's story).
    "Mes petits-enfants me taquinent en disant que je vais me faire gonfler les lèvres !",
    "j'avais saigné un peu mais c'est fini",
    "un peu de sang le premier soir, plus rien depuis",
    "plus de fièvre depuis samedi",
    "ma voisine a eu une paralysie après son botox il y a des années",
    "je ne peux pas venir le 12, mon fils a de la fièvre",
    "j'ai cru m'évanouir en voyant l'addition",
    "urgent : j'ai perdu ma carte vitale",
    "douleur 8/10 comme d'habitude",
    "je vois flou sans mes lunettes",
    "pas besoin de me rappeler, tout va bien",
    "no fever, no bleeding, all good",
    # session 4 (round 6): fear of a sign, hypotheses from edsnlp's lists, someone's own
    # illness, resolved "rien depuis", idioms
    "j'ai peur de saigner après la piqûre",
    "un éventuel saignement après l'injection, c'est grave ?",
    "mon fils a de la fièvre depuis hier, une gastro de l'école",
    "deux gouttes de sang le lendemain, rien depuis trois jours",
    "ça m'a fait saigner le portefeuille",
    "inutile de me téléphoner, j'ai eu toutes les réponses",
    # session 7 (round 14): wondering is not asking for a person; asking whether the team can
    # be reached is a question about the line.
    "on se demande si c'est une vraie opération avec ouverture ou pas ? merci",
    "Pourriez-vous me confirmer l'existence d'un numéro auquel je pourrais joindre l'équipe ?",
    # session 8: a call that already happened; how to reach the team.
    "J'avais demandé à parler à quelqu'un la semaine dernière et on m'a rappelée",
    "je souhaiterais savoir par quel moyen joindre directement l'équipe",
    "Est-ce qu'il y a quelqu'un chez vous que je peux joindre si un doute me prend ?",
    "Si la veille je stresse, il y a un numéro où quelqu'un peut me répondre ?",
    "les releveurs c'est quoi, jamais entendu parler avant mon doc",
    "C'est quoi ce syndrome dont parle le médecin ?",
    # "signer" is one letter from "saigner": a real word, never corrected into a symptom.
    "toute la famille me dit de ne rien signer sans réfléchir",
    # session 10 (round 17): "personne" as nobody; a fear of not reaching anyone; the means
    # of reaching the team asked for.
    "je n'en ai jamais parlé à personne, même pas à mon mari",
    "j'ai peur de ne pas pouvoir joindre quelqu'un le week-end",
    "par quel biais puis-je joindre l'équipe si j'ai une question ?",
    # "viendra" is not a typo of "tiendra" ("il ne tiendra pas": distress).
    "ma femme ne viendra pas lundi, elle a un empêchement",
    # session 14 (round 34): whether the team can be called later, under a condition.
    "Et je pourrai appeler l'équipe si je stresse ?",
    "Je peux contacter quelqu'un si besoin après la piqûre ?",
]


@pytest.mark.parametrize(
    "text",
    [
        # A request for a person is never closed by the tense it is said in, nor by a
        # conditional: politeness is not the past, and staff must hear of it.
        "je me demandais si un médecin pouvait me rappeler",
        "est-ce que je pourrais joindre un médecin maintenant ?",
        "je voulais savoir si je pourrais parler à un médecin",
        "je me demande si je peux parler à un médecin",
        # "si possible" and "s'il te plaît" ask now, whatever the verb's mood.
        "je pourrais joindre un médecin si possible ?",
        "qqun peut m'appeler stp",
        # Nobody answers: a plea, not "personne" as nobody to tell.
        "je n'arrive à joindre personne, aidez-moi",
    ],
)
def test_polite_or_conditional_requests_for_a_person_alert(conv: Conversation, text: str) -> None:
    found = conv.triage.analyse(text)
    assert found.alert is not None and found.alert.categories == ("demande_humain",), found
    assert conv.respond(text).kind == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        # Round 13: what is dreaded, the passé simple of a letter, a life summed up by the pain.
        "ma plus grande angoisse c'est d'avoir mal pendant",
        "une hémorroïdectomie dont les suites furent longues et douloureuses",
        "j'ai l'impression que ma vie se résume à cette douleur",
        # Round 14: the pain one lives with.
        "Je me sens tellement seule avec cette douleur, personne autour de moi ne comprend.",
    ],
)
def test_dreaded_past_or_lifelong_pain_is_not_a_new_symptom(conv: Conversation, text: str) -> None:
    found = conv.triage.analyse(text)
    assert found.alert is None and found.concern is None, found


def test_the_usual_sitting_pain_told_in_a_story_is_a_note_and_the_question_answered(
    conv: Conversation,
) -> None:
    reply = conv.respond(
        "J'ai 34 ans, j'ai accouché il y a un an et depuis j'ai des douleurs horribles dès que"
        " je m'assois. Ma gynéco m'a parlé d'une injection. Concrètement, ça consiste en quoi ?"
    )
    assert (reply.kind, reply.faq_id) == ("answer", "traitement") and reply.staff_note
    assert reply.triage is not None and "douleur_intense" in reply.triage.categories


def test_a_relative_telling_the_usual_sitting_pain_gets_a_note_and_the_answer(
    conv: Conversation,
) -> None:
    reply = conv.respond(
        "Ma fille de 24 ans souffre énormément quand elle reste assise en amphi. Un médecin lui"
        " propose le botox, mais j'aimerais que d'autres médecins se prononcent. Est-ce"
        " possible chez vous ?"
    )
    assert (reply.kind, reply.faq_id) == ("answer", "second_avis") and reply.staff_note


def test_severe_pain_said_with_assis_alone_in_a_story_is_the_usual_pain(
    conv: Conversation,
) -> None:
    reply = conv.respond(
        "Mon fils a des douleurs terribles assis au bureau. Combien de temps dure l'injection ?"
    )
    assert (reply.kind, reply.faq_id) == ("answer", "duree") and reply.staff_note


def test_years_of_pain_told_with_ca_fait_are_the_pain_the_patient_comes_for(
    conv: Conversation,
) -> None:
    found = conv.triage.analyse("ça fait cinq ans que j'ai mal au fondement, on m'a tout essayé")
    assert found.alert is None and found.concern is None
    assert ("gene_douleur", "chronic") in found.dismissed


def _assert_alert(conv: Conversation, text: str, alert: str | None) -> None:
    """No alert (None), or an alert naming this category."""
    found = conv.triage.analyse(text)
    if alert is None:
        assert found.alert is None, found
    else:
        assert found.alert is not None and alert in found.alert.categories, found


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        # A time long gone at the head of the sentence: every sign told as done in it is past.
        (
            "Il y a quelques années une anesthésie générale s'est très mal passée pour moi, j'ai"
            " vomi deux jours entiers. Pour le botox, est-ce qu'il y a une anesthésie ?",
            None,
        ),
        ("L'an dernier, après une opération, j'ai saigné pendant une semaine.", None),
        # Told in the present, or said to be now, the sign alerts whatever opens the sentence.
        ("Il y a deux ans j'ai eu une hémorragie, et là je saigne beaucoup", "saignement"),
        ("Il y a deux ans j'ai eu une hémorragie, et là j'ai du mal à avaler", "deglutition"),
        ("Il y a trois ans j'ai été opérée, j'ai vomi depuis ce matin", "malaise"),
        # Days are not a time long gone: after the injection they are the follow-up.
        ("Il y a deux jours, après l'injection, j'ai saigné beaucoup", "saignement"),
        # "déjà" between the auxiliary and the participle: something that happened before,
        # unless the clause says now; "tourner de l'œil" is fainting, not the eyes.
        ("Elle a déjà tourné de l'œil pendant une prise de sang.", None),
        ("j'ai déjà saigné ce matin", "saignement"),
        ("j'ai tourné de l'oeil ce matin", "perte_connaissance"),
    ],
)
def test_a_time_set_at_the_head_of_a_sentence_holds_for_it(
    conv: Conversation, text: str, alert: str | None
) -> None:
    _assert_alert(conv, text, alert)


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        # A sign brought on by imagining what is to come: a note, and the question answered.
        ("Mon cœur s'emballe rien qu'en imaginant le bloc, ça dure combien de temps ?", None),
        ("j'ai la tête qui tourne quand j'y pense", None),
        # Said now, it alerts.
        ("mon coeur s'emballe depuis ce matin", "malaise"),
        # Doctors talking among themselves, how to reach the team, whether the bot is human:
        # no request for a person.
        ("Mon gastro veut en parler avec d'autres médecins avant de décider.", None),
        ("Quelles sont les modalités permettant de joindre l'équipe ?", None),
        ("Je parle à une vraie personne ou à une machine ?", None),
        ("Je discute avec un vrai humain là ?", None),
        # Asked for, a person stays an alert.
        ("je veux parler à un humain, pas à un robot", "demande_humain"),
        ("je voudrais en parler avec un médecin aujourd'hui", "demande_humain"),
        # "ne me contactez plus" asks for silence (/stop), not for a call.
        ("Ne me recontactez plus, merci.", None),
        ("Merci de ne plus me téléphoner.", None),
        ("Rappelez-moi plus tard svp", "demande_humain"),
        # The future feared "pour toujours" is no "now"; "toujours" said of a sign still is.
        ("J'ai peur que ça me paralyse pour toujours et que je devienne incontinente.", None),
        ("J'ai la trouille de devenir incontinente à vie.", None),
        ("Depuis la piqûre je suis toujours incontinente.", "incontinence"),
        # Pills counted by the dozen and a sleep with no waking are distress; a usual dose is
        # not (it is told to the team as history, which the safety net no longer reads).
        ("J'ai avalé 30 comprimés de Lyrica 150 mg.", "detresse"),
        ("Je voudrais m'endormir pour toujours.", "detresse"),
        ("Je prends 75 mg de Lyrica le soir, je le signale.", None),
        ("J'ai pris deux comprimés de Doliprane ce matin.", None),
        # Numbing the area for the procedure is no numbness.
        ("Vous m'insensibilisez avant de piquer ?", None),
        ("J'ai la fesse insensible depuis ce matin.", "faiblesse"),
    ],
)
def test_fear_and_questions_about_people_are_no_alerts(
    conv: Conversation, text: str, alert: str | None
) -> None:
    _assert_alert(conv, text, alert)


def test_a_rookie_doctor_is_no_bruise(conv: Conversation) -> None:
    found = conv.triage.analyse("Le toubib qui pique, il est calé ou c'est un bleu ?")
    assert found.alert is None and found.concern is None, found


@pytest.mark.parametrize(
    "text",
    [
        # Said alone, new ("depuis l'injection"), worse ("ça empire"), or no longer able to sit:
        # the alert stays.
        "j'ai une douleur atroce quand je suis assise",
        "depuis l'injection j'ai une douleur horrible dès que je m'assois. C'est normal ?",
        "j'ai une douleur atroce quand je suis assise, ça empire. Que faire ?",
        "je peux même plus m'assoir tellement ça fait mal",
        "depuis hier soir j'ai atrocement mal en m'asseyant",
    ],
)
def test_severe_sitting_pain_said_now_stays_an_alert(conv: Conversation, text: str) -> None:
    reply = conv.respond(text)
    assert reply.kind == "urgent" and reply.triage is not None
    assert "douleur_intense" in reply.triage.categories


@pytest.mark.parametrize(
    "text",
    [
        "un peu plus mal que d'habitude depuis le geste, c'est passager ?",
        "une petite brûlure quand je vais à la selle",
        "un petit point rouge au point de piqûre",
    ],
)
def test_mild_urgent_signs_are_a_concern_not_an_alert(conv: Conversation, text: str) -> None:
    """A mitigator just before an "urgent" sign makes it a note for the staff (concern), with
    the line for the patient; vital signs and bleeding, fever, urine or stool never are."""
    reply = conv.respond(text)
    assert reply.kind == "concern" and conv.hotline in reply.text


@pytest.mark.parametrize("text", CALM)
def test_look_alikes_raise_no_alert(conv: Conversation, text: str) -> None:
    assert conv.respond(text).kind != "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "et si j'avais du mal à avaler, ce serait grave ?",
        "au cas où j'aurais de la fièvre, je vous appelle ou j'appelle le 15 ?",
        "is it possible to have trouble swallowing after botox?",
    ],
)
def test_questions_about_risk_get_information_without_alert(conv: Conversation, text: str) -> None:
    reply = conv.respond(text)
    assert reply.kind in {"info", "answer"}
    assert "ce que vous décrivez" not in reply.text.lower()
    if reply.kind == "info":
        assert conv.hotline in reply.text and "15" in reply.text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("j'ai mal depuis l'injection, c'est normal ?", "gene_douleur"),
        ("j'ai la diarrhée", "digestif"),
        ("je suis très fatiguée depuis l'injection", "fatigue"),
        ("un petit bleu au point d'injection", "hematome"),
    ],
)
def test_concern_path(conv: Conversation, text: str, category: str) -> None:
    reply = conv.respond(text)
    assert reply.kind == "concern"
    assert reply.triage is not None
    assert reply.triage.severity == CONCERN and not reply.triage.is_alert
    assert category in reply.triage.categories
    assert conv.hotline in reply.text
    assert "pas cette information" not in reply.text


@pytest.mark.parametrize(
    "text",
    [
        "je me sens découragée, la douleur est toujours là",
        "J'ai tellement honte de parler de cette douleur, même à mon mari...",
    ],
)
def test_a_feeling_told_with_a_symptom_is_heard_and_the_note_still_goes(
    conv: Conversation, text: str
) -> None:
    reply = conv.respond(text)
    assert reply.kind == "support" and reply.staff_note
    assert reply.triage is not None and reply.triage.severity == CONCERN
    assert reply.text.startswith("Ce que vous ressentez est tout à fait compréhensible")
    # The note's acknowledgement and its advice (when to call, the 15) are kept.
    assert "c'est noté" in reply.text and conv.hotline in reply.text and "15" in reply.text


def test_english_red_flag_gets_a_bilingual_reply(conv: Conversation) -> None:
    reply = conv.respond("I can't breathe")
    assert reply.triage is not None and reply.triage.english
    assert "112" in reply.text and conv.hotline in reply.text
    assert "Appelez" in reply.text and "Call" in reply.text


def test_line_unreachable_gives_the_15(conv: Conversation) -> None:
    reply = conv.respond("personne ne répond au téléphone")
    assert reply.kind == "urgent" and reply.severity == "humain"
    assert reply.triage is not None and "ligne_injoignable" in reply.triage.categories
    assert "15" in reply.text
    plain = conv.respond("rappelez-moi s'il vous plaît")
    assert plain.severity == "humain" and plain.text != reply.text


@pytest.mark.parametrize("name", ["triage_round4.yaml", "triage_round6.yaml", "triage_round7.yaml"])
def test_rounds_after_fixes(conv: Conversation, name: str) -> None:
    """Rounds measured once before their fixes (numbers in each header; round 4: 75.1 % /
    26.2 %, round 6: 89.0 % / 19.5 %, round 7: 90.0 % / 10.5 %) are now tuning floors: every
    urgent message gets the line and an alert, at most 3 % of look-alikes alarm."""
    data = yaml.safe_load((ROUND4.parent / name).read_text(encoding="utf-8"))
    missed = [i["text"] for i in data["urgent"] if conv.respond(i["text"]).kind != "urgent"]
    alarms = [i["text"] for i in data["lookalike"] if conv.respond(i["text"]).kind == "urgent"]
    assert not missed, missed
    assert len(alarms) <= 0.03 * len(data["lookalike"]), alarms


@pytest.mark.parametrize(
    "text",
    [
        "Pouvez-vous me rappeler pour reporter mon rendez-vous de lundi ?",
        "quelqu'un peut m'appeler svp, c'est au sujet de ma convocation",
    ],
)
def test_a_call_about_the_appointment_is_a_request_for_the_staff(
    conv: Conversation, text: str
) -> None:
    """The staff still hear of it (as a request), the patient is told who will answer and
    gets the line; no alert to acknowledge for a date to move."""
    found = conv.triage.analyse(text)
    assert found.alert is not None and found.alert.categories == ("demande_humain",)
    reply = conv.respond(text)
    assert reply.kind == "request" and conv.hotline in reply.text


@pytest.mark.parametrize(
    "text",
    [
        # A person asked for, with no appointment in it: the alert.
        "rappelez-moi s'il vous plaît",
        # A symptom beside the appointment keeps the alert.
        "rappelez-moi pour mon rendez-vous, je saigne beaucoup depuis ce matin",
    ],
)
def test_a_call_asked_for_otherwise_stays_an_alert(conv: Conversation, text: str) -> None:
    assert conv.respond(text).kind == "urgent"
