"""Messages that are not questions about the procedure: what the patient wants done.

Rules over the normalised text of :class:`bot.analysis.MessageAnalysis` (lower case, no
accents, SMS forms expanded). Each rule names a situation precisely enough that a question
about the procedure does not trip it: "je peux annuler ?" is a request, "annulation" inside
"est-ce que l'effet s'annule" is not (the patterns need the appointment or the verb forms).

Order of precedence (see Conversation.respond): stop and erasure requests first (a patient who
wants no more messages must not get an FAQ card), then medical history (never an FAQ answer:
the team must know before the injection), then logistics; emotions only when the FAQ has no
confident answer ("j'ai peur, est-ce qu'on m'endort ?" gets the anaesthesia answer).
"""

from __future__ import annotations

import re
from typing import Literal

from bot.analysis import EMOTION_RE, MessageAnalysis
from bot.normalize import normalize

Intent = Literal["stop", "supprimer", "history", "request", "support"]


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_STOP_ALONE = frozenset({"stop", "stopp", "arret", "arreter", "desinscription", "unsubscribe"})
# "STOP svp", "merci, stop", "ok stop", "désolé, stop": politeness or an interjection around
# the word changes nothing.
_AROUND_STOP = re.compile(
    r"(?:^| )(?:svp|stp|s il vous plait|s il te plait|merci|please|ok|okay|bon|bref|desolee?"
    r"|pardon|d accord|non|maintenant|juste)\b"
)
_STOP = _rx(
    # "Arrête de m'écrire stp", "cessez de m'envoyer des rappels".
    r"(?:arret|cess)\w* (?:de )?(?:m |nous )?(?:envoyer|ecrire|contacter|relancer|solliciter)",
    # "Je ne souhaite plus être contacté par ce canal", "… plus être rappelé".
    r"(?:ne|n) (?:veux|souhaite|voudrais|desire) plus (?:rien )?(?:recevoir|de messages?"
    r"|de rappels?|etre (?:contacte|sollicite|rappele|appele)\w*)",
    # Spoken French drops the "ne": "je veux plus recevoir vos notifs". Not "je veux plus de
    # rappels", which may ask for more of them.
    r"(?:veux|souhaite|voudrais) plus (?:rien )?(?:recevoir|etre contacte)",
    r"plus de messages?",
    # "Ne me contactez plus par ici", "merci de ne plus m'écrire". Only with the "ne": "vous
    # m'appelez plus tard ?" asks for a call.
    r"(?:ne|n) (?:me|m|nous) (?:contactez|recontactez|appelez|rappelez|ecrivez|relancez"
    r"|sollicitez|envoyez) plus",
    r"(?:ne|n) plus (?:me|m|nous) (?:contacter|recontacter|appeler|rappeler|ecrire|relancer"
    r"|solliciter|envoyer)",
    r"desinscri\w*",
    r"desabonn\w*",
    # "arrêtez les sms svp", "arrête les rappels"
    r"arret\w* (?:les |vos |mes |ces )?(?:sms|messages?|rappels?|notifications?|relances?)",
    # "STOP SMS", "stop les notifs", "stop rappels"
    r"stop (?:les |aux |vos |mes )?(?:notifs?|notifications?|messages?|rappels?|sms|relances?)",
)
_ERASE = _rx(
    # "effaciez l'ensemble de mes données", "supprimez mon num et toutes mes infos".
    # The noun too: "je demande la suppression de mes informations personnelles".
    r"(?:supprim|suppression|effac|destruction|detrui|retir)\w* (?:\w+ ){0,5}"
    r"(?:donnees|informations|infos|dossier|compte"
    r"|numero|num|coordonnees|historique|echanges|conversations?|mes messages|ce que je vous ai)",
    r"droit a l oubli",
    # "effacez tout ce que vous avez sur moi": what is erased named by whose it is.
    # "détruire tout ce que vous avez enregistré sur moi": six words between.
    r"(?:supprim|effac|detrui)\w* (?:\w+ ){0,6}(?:sur moi|me concernant|de moi)",
    r"supprimer mon compte",
    # "Vous pouvez virer tout ce que je vous ai écrit de vos serveurs ?"
    r"(?:virer|virez|enlever|enlevez|retirer|retirez|supprimer|supprimez|effacer|effacez)"
    r" (?:\w+ ){0,8}de vos (?:serveurs|fichiers|bases?|systemes?|ordinateurs)",
    # "Oubliez-moi, effacez tout ce que je vous ai écrit."
    r"oubliez moi",
    r"(?:effacez|supprimez|detruisez) tout\b",
    # "Vous pouvez supprimer tout ce que j'ai écrit ici ?": what the patient wrote or sent.
    r"(?:supprim|effac|detrui)\w* (?:\w+ ){0,3}ce que (?:je vous ai|j ai|je t ai|je vous)"
    r" (?:ecrit|envoye|dit|tape|raconte|partage|confie)",
    # Said in the passive: "que toutes mes données soient effacées de votre système".
    r"(?:donnees|informations|infos|dossier|compte|messages|echanges)(?: \w+){0,3}"
    r" (?:soi\w*|etre|sera\w*)"
    r" (?:supprim|effac|detrui|retir)\w*",
)

# Conditions that are current by their very words and that the injection must be weighed
# against, whatever else the message says ("je suis enceinte de quatre mois, mes douleurs sont
# revenues… je peux faire l'injection maintenant ?"). Not a cancer or a pregnancy told in the
# past ("depuis ma grossesse"), which a story may name before a general question.
_CURRENT_CONDITIONS = (
    r"myasthen\w*",
    r"lambert eaton",
    r"hemophil\w*",
    r"enceinte",
    r"anticoagul\w*",
    r"kardegic",
    r"plavix",
    r"xarelto",
    r"eliquis",
    r"previscan",
    r"coumadine",
    r"sintrom",
    r"lovenox",
)
# Medical history and treatments the team must hear about before the injection.
_CONDITIONS = (
    *_CURRENT_CONDITIONS,
    r"sla",
    r"charcot",
    r"sclerose",
    r"neuropathie",
    r"myopathie",
    r"epilep\w*",
    r"diabet\w*",
    r"grossesse",
    # allaiter, allaitement, allaitante; not "allait" (aller: "on allait m'injecter").
    r"allait(?:e\w*|ant\w*|ai\w*)",
    r"allergi\w*",
    r"antiagregant\w*",
    r"aspirine",
    r"heparine",
    r"insuline",
    r"pacemaker",
    r"pace maker",
    r"chimio\w*",
    r"immunodepr\w*",
    r"cancer",
    r"greff\w*",
    r"antibiotiques?",
    r"aminosides?",
    # A dose names a treatment taken, whatever the drug ("je suis sous Lyrica 150 mg").
    r"\d+ ?(?:mg|milligrammes?|mcg|microgrammes?)",
)
_CONDITION = _rx(*_CONDITIONS)
# Breastfeeding now ("j'allaite"), not in the past ("j'allaitais").
_CURRENT_CONDITION = _rx(*_CURRENT_CONDITIONS, r"allait(?:e|es|ons|ez|ent|ante|antes)")


def tells_current_condition(analysis: MessageAnalysis) -> bool:
    """The patient says they are pregnant, breastfeeding, on anticoagulants or living with a
    neuromuscular or bleeding disorder: no page fact can answer for them."""
    return _CURRENT_CONDITION.search(analysis.normalized) is not None and (
        _SELF.search(analysis.normalized) is not None
    )


# Past surgery or treatment told as history ("j'ai été opéré d'une fistule en 2019, je préfère
# vous le dire", "j'ai déjà reçu une injection de botox dans la vessie en 2022"). Inside a
# story that asks a question it is only context: the question is answered.
_PAST_TREATMENT = _rx(
    r"(?:ete|deja) opere\w*",
    r"(?:eu|subi) (?:une |des |plusieurs )?(?:operations?|interventions?|chirurgies?)",
    # "j'ai déjà eu deux infiltrations de corticoïdes": an article or a number.
    r"deja (?:recu|eu|fait|subi|beneficie d) (?:une |un |des |plusieurs |\w+ )?"
    r"(?:injections?|piqures?|infiltrations?|traitements?)",
    # "j'ai déjà eu du botox pour des migraines il y a deux ans"
    r"deja (?:recu|eu|fait|subi) (?:du |de la |des )?(?:botox|toxine)",
    # "J'ai déjà fait trois séances d'ostéopathie et vingt séances de kiné", "des mois de kiné".
    r"(?:deja|j ai|j avais) (?:fait|eu|suivi|essaye) (?:\w+ )?(?:seances?|mois|annees?|semaines?)"
    r" (?:de|d)",
    r"(?:recu|eu|subi) (?:une |un |des |plusieurs |\w+ )?(?:injections?|piqures?|infiltrations?)"
    r" (?:\w+ ){0,8}en (?:19|20)\d\d",
    # "j'ai eu une hystérectomie en 2019 et une fissure opérée en 2021"
    r"(?:eu|subi) (?:une |un )?\w+ectomies?",
    r"operee?s? en (?:19|20)\d\d",
    # The usual treatments of chronic pelvic pain, named without a dose ("je prends de la
    # prégabaline matin et soir"); a story that asks a question may name them as context.
    r"pregabaline|lyrica|gabapentine|neurontin|amitriptyline|laroxyl|duloxetine|cymbalta",
    r"tramadol|morphine|oxycodone|skenan|clonazepam|rivotril|topalgic|contramal|ixprim",
    r"lioresal|baclofene|myolastan|tetrazepam|miorel|thiocolchicoside",
    # "Je précise que je prends un traitement pour la tension depuis cinq ans."
    r"(?:prends|prend|suis sous) (?:un |des )?(?:traitements?|medicaments?) (?:pour|contre)"
    r" (?:la |le |l |les |mon |ma |mes |de |du )?\w+",
    # A treatment taken on a schedule, whatever the drug ("je prends du X matin et soir").
    r"je prends (?:du |de la |de l |des )\w+ (?:matin|soir|midi|tous les|chaque|\d)",
)
# The patient speaks of themself: "je suis", "j'ai", "je prends", "mon traitement"...
_SELF = _rx(
    r"je suis",
    r"j ai",
    r"j avais",
    r"je prends",
    r"je prend",
    r"je fais",
    r"je souffre",
    r"je suis sous",
    r"sous",
    r"mon \w+",
    r"ma \w+",
    r"mes \w+",
    r"moi",
    r"on m a",  # "on m'a diagnostiqué une myasthénie"
    # "Porteur d'un pacemaker depuis 2018, je le signale" (no "je suis" in note style).
    r"porteu(?:r|se)",
    r"je (?:vous )?(?:le |l )?(?:signale|precise|informe|previens)",
    # "Je tiens à vous signaler que je suis sous Kardégic."
    r"(?:tiens|tenais) a (?:vous )?(?:signaler|preciser|informer|prevenir)",
)

_APPOINTMENT = r"(?:rdv|rendez vous|rendezvous|injection|intervention|geste|seance|convocation)"
# A time of day or a weekday, for "passer plutôt le matin".
_MOMENT = (
    r"(?:le |l |en )?(?:matin|apres midi|soir|fin de matinee|debut d apres midi|lundi|mardi"
    r"|mercredi|jeudi|vendredi|samedi|\d+ ?h\w*)"
)
_REQUEST = _rx(
    rf"annul\w* (?:\w+ ){{0,3}}{_APPOINTMENT}",
    r"(?:je|j) (?:dois|vais|voudrais|veux|souhaite|souhaiterais|aimerais) annuler",
    r"annuler",
    r"(?:ne|n) (?:pourrai|pourrais|peux|pourrons|pourra|vais pas pouvoir) (?:pas |plus )?venir",
    # "Je ne pourrai pas honorer le rendez-vous de jeudi", "... pas me rendre à la consultation"
    r"(?:ne|n) (?:pourrai|pourrais|peux|pourrons|pourra|vais pas pouvoir) (?:pas |plus )?"
    r"(?:honorer|assister|me rendre|nous rendre|me presenter|nous presenter)",
    # "je ne pourrai pas être là lundi"
    r"(?:ne|n) (?:pourrai|pourrais|peux|pourrons|pourra) pas etre (?:la|present\w*)",
    r"(?:ne|n) (?:serai|serais|serons) pas present\w*",
    # "Merci de noter que je ne viendrai pas à la consultation de demain matin."
    r"(?:ne|n) (?:viendrai|viendrais|viendrons|viendra) pas",
    r"(?:pas|plus) pouvoir venir",
    # "Impossible pour moi de venir à la consultation de jeudi"
    r"impossible (?:pour (?:moi|nous|lui|elle) )?"
    r"(?:de venir|de me deplacer|d etre (?:la|present\w*))",
    r"peux pas venir",
    r"pourrai pas venir",
    r"pourrais pas venir",
    r"(?:en|de) retard",
    r"arrive(?:rai)? (?:plus tard|en retard)",
    # Not "à l'avance" ("j'aime savoir à l'avance. Mon injection est prévue en janvier.").
    # "avancer la date de mon injection": four words between.
    rf"(?:decal|report|deplac|(?<!l )avanc|repouss)\w* (?:\w+ ){{0,4}}{_APPOINTMENT}",
    # "avancer la date de ma consultation" (not "me déplacer jusqu'à la consultation").
    r"(?:decal|report|(?<!l )avanc|repouss)\w* (?:\w+ ){0,4}(?:consultation|date)",
    r"(?:decaler|reporter|deplacer|repousser)",
    r"changer (?:\w+ ){0,2}(?:date|heure|horaire|jour|rendez vous|rdv)",
    r"empechement",
    # "je serai en déplacement, merci de me proposer un autre créneau"
    r"(?:serai|serais|serons) en deplacement",
    # "j'aurais besoin de passer plutôt l'après-midi", "serait-il possible de passer
    # l'après-midi plutôt ?", "venir jeudi plutôt que lundi": "plutôt" on either side.
    rf"(?:passer|venir) (?:plutot {_MOMENT}|{_MOMENT} plutot)",
    r"(?:proposer|proposez|donner|donnez|trouver|trouvez|fixer) (?:moi |m |nous )?(?:un |une )?"
    r"(?:autre|nouveau|nouvelle) (?:creneau|date|rdv|rendez vous|horaire)",
    # "Pouvez-vous me renvoyer ma convocation par mail, j'ai perdu celle que j'avais reçue."
    r"(?:renvoyer|renvoyez|envoyer|envoyez|renvoyiez) (?:\w+ ){0,3}"
    r"(?:convocation|ordonnance|papiers?|documents?|compte rendu)",
    # "Je n'ai jamais reçu la convocation par mail, vous pouvez me la renvoyer ?"
    r"(?:me|nous) (?:la|le|les|l) (?:renvoyer|renvoyez|renvoyiez|reenvoyer|retransmettre)",
    r"(?:jamais|pas|toujours pas) (?:recu|eu) (?:\w+ ){0,2}"
    r"(?:convocation|ordonnance|papiers?|documents?|compte rendu)",
    r"bouchons",
)


_COMPANION_AWAY = _rx(
    r"(?:ne|n) (?:pourra|pourront|peut|peuvent|viendra|viendront) pas (?:venir )?"
    r"(?:avec moi|avec nous|m accompagner|nous accompagner)",
    r"(?:mon|ma|mes) (?:fils|fille|filles|mari|femme|conjoint|conjointe|compagnon|compagne"
    r"|enfants?|frere|soeur|ami|amie|voisin|voisine)(?: \w+){0,5} (?:ne|n) (?:pourra|pourront"
    r"|peut|peuvent) pas venir",
)


# "Je ne peux pas venir souvent. Est-ce qu'une seule injection suffit ?": a constraint told
# beside the question (how often one can come), not an appointment to cancel or move.
_CANNOT_COME_OFTEN = _rx(
    r"(?:ne|n) (?:pourrai|pourrais|peux|pourrons|pourra|peut) pas (?:venir|me deplacer|revenir"
    r"|faire le trajet|faire la route) (?:tres |trop |aussi |si |bien )?(?:souvent|regulierement"
    r"|facilement|frequemment|plusieurs fois|a chaque fois|tous les \w+|chaque \w+)",
)


# What a call asked for is about: the appointment ("rappelez-moi, c'est pour ma date",
# "pourriez-vous me rappeler afin de décaler mon rendez-vous").
_ABOUT_APPOINTMENT = _rx(
    r"(?:pour|concernant|au sujet de|a propos de|par rapport a) (?:mon|ma|le|la|notre) "
    r"(?:date|rdv|rendez vous|horaire|heure|convocation|creneau)",
    # "Rappelez-moi pour fixer une nouvelle date."
    r"(?:fixer|trouver|convenir d|reprogrammer|prendre|caler) (?:une |un |la |le |ma |mon )?"
    r"(?:nouvelle |nouveau |autre )?(?:date|rdv|rendez vous|creneau|horaire|consultation)",
    # "Pouvez-vous me rappeler pour qu'on fixe ensemble la date de l'injection ?"
    r"(?:fixe|fixions|fixiez|trouve|trouvions|cale|calions) (?:\w+ ){0,2}"
    r"(?:date|rdv|rendez vous|creneau|horaire)",
    # "Pouvez-vous me rappeler pour confirmer l'heure de mon injection ?"
    r"(?:confirmer|verifier|preciser|connaitre) (?:\w+ ){0,2}"
    r"(?:date|heure|horaire|jour|rdv|rendez vous|convocation|creneau)",
    # "Pourriez-vous demander au secrétariat de me rappeler ?": the desk, for the paperwork.
    r"secretariat",
    # "me rappeler demain matin pour organiser ma venue"
    r"(?:organiser|preparer|planifier|caler) (?:ma|mon|la|le|notre) (?:venue|arrivee|rdv"
    r"|rendez vous|injection|hospitalisation|transport|journee|deplacement)",
)


_ALLERGY = _rx(r"allergi\w*")


def names_allergy(analysis: MessageAnalysis) -> bool:
    """An allergy told: the products themselves (the anaesthetic, the toxin) are weighed
    against it."""
    return _ALLERGY.search(analysis.normalized) is not None


def names_history(text: str) -> bool:
    """The text names a condition, a treatment or a past operation (what "history" reads)."""
    norm = normalize(text)
    return _CONDITION.search(norm) is not None or _PAST_TREATMENT.search(norm) is not None


def is_logistics_call(analysis: MessageAnalysis) -> bool:
    """A request for a call or a person whose purpose is the appointment itself (cancel, move,
    confirm): logistics for the staff, not a patient who needs someone now."""
    norm = analysis.normalized
    return _REQUEST.search(norm) is not None or _ABOUT_APPOINTMENT.search(norm) is not None


def detect(analysis: MessageAnalysis) -> Intent | None:
    """The intent that decides the reply before the FAQ is asked, or None."""
    norm = analysis.normalized
    if _AROUND_STOP.sub("", norm).strip() in _STOP_ALONE or _STOP.search(norm):
        return "stop"
    if _ERASE.search(norm):
        return "supprimer"
    if _CONDITION.search(norm) and _SELF.search(norm):
        return "history"
    if _PAST_TREATMENT.search(norm) and _SELF.search(norm) and not analysis.questions:
        return "history"
    # "Ma fille ne pourra pas venir avec moi. Est-ce qu'on m'expliquera… ?": a companion who
    # cannot come, or how often one can come, is told beside the question, not a request to
    # move the appointment.
    requested = norm
    if analysis.questions:
        requested = _CANNOT_COME_OFTEN.sub(" ", _COMPANION_AWAY.sub(" ", norm))
    if _REQUEST.search(requested):
        return "request"
    return None


# "Quels signes doivent m'inquiéter dans les jours qui suivent ?", "à partir de quand je dois
# appeler ?": the warning signs asked for, whatever symptom is feared. Triage's answer to a
# red flag asked about (texts.TRIAGE_RISK_INFO) lists them, with the line.
_WARNING_SIGNS = _rx(
    r"(?:quels?|quelles?) (?:sont )?(?:les )?(?:signes?|symptomes?)(?: \w+){0,4}"
    r" (?:inquieter|alerter|alarmer|consulter|appeler|rappeler|urgences?|surveiller)",
    r"signes? (?:d |de )?(?:alerte|alarme|danger|gravite)",
    r"(?:signes?|symptomes?) (?:inquietants?|anormaux|anormal|preoccupants?)",
    r"(?:quand|a partir de quand|a quel moment) (?:est ce que |est ce qu )?(?:dois je|faut il"
    r"|je dois|il faut|devrais je|je devrais) (?:m |s )?(?:inquieter|consulter|appeler"
    r"|rappeler|aller aux urgences)",
)


def asks_warning_signs(analysis: MessageAnalysis) -> bool:
    """The message asks which signs should worry the patient (a question, not a report)."""
    return bool(analysis.questions) and _WARNING_SIGNS.search(analysis.normalized) is not None


def is_emotion(analysis: MessageAnalysis) -> bool:
    return EMOTION_RE.search(analysis.normalized) is not None


# A fear that names its object ("j'ai peur que ce soit dangereux", "peur de la douleur") is a
# question in disguise: the page may answer it. A feeling alone ("je suis découragée") is not.
_WORRY_ABOUT = _rx(
    r"(?:peur|trouille|angoiss\w*|inquiet\w*|stress\w*|crain\w*|panique\w*) "
    r"(?:de|d|du|des|que|qu|pour|a l idee)(?! (?:demain|ce soir|la veille|cette nuit)\b)"
)


def is_bare_feeling(analysis: MessageAnalysis) -> bool:
    """A feeling told without a question and without naming what it fears."""
    norm = analysis.normalized
    return (
        not analysis.questions
        and EMOTION_RE.search(norm) is not None
        and _WORRY_ABOUT.search(norm) is None
    )


# --- typed check-in answers -------------------------------------------------------------------

_SCORE_RE = re.compile(
    r"^(?:(?:j ai|je suis a|c est|a|environ|a peu pres|note|score|douleur|je dirais|je mets)\s+)*"
    r"(\d{1,2})(?:\s*sur\s*10)?(?:\s+(?:environ|a peu pres))?$"
)
_SCORE_ANYWHERE_RE = re.compile(r"\b(\d{1,2})\s*sur\s*10\b")
_NUMBER_WORDS = {
    "zero": 0,
    "un": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
}
# What patients type instead of tapping, mapped to the words of the usual button labels.
_ANSWER_SYNONYMS = {
    "ca va": "bien",
    "ca va bien": "bien",
    "tres bien": "bien",
    "super": "bien",
    "nickel": "bien",
    "impeccable": "bien",
    "parfait": "bien",
    "pas terrible": "pas bien",
    "pas top": "pas bien",
    "mal": "pas bien",
    "tres mal": "pas bien",
    "ca va pas": "pas bien",
    "ca ne va pas": "pas bien",
    "bof": "quelques genes",
    "moyen": "quelques genes",
    "couci couca": "quelques genes",
    "ouais": "oui",
    "yes": "oui",
    "nan": "non",
    "pas du tout": "non",
}
# A typed answer is short; longer text is a message (a question, a symptom) for triage and FAQ.
_MAX_ANSWER_WORDS = 6


def typed_checkin_answer(
    text: str, choices: list[tuple[str, str]], scale: tuple[int, int] | None
) -> str | None:
    """The value a typed message answers to a pending check-in, or None if it is not an answer.

    ``choices`` are (label, value) pairs as ``bot.reminders.plan.checkin_buttons`` returns them;
    for a pain scale they are the numbers, and ``scale`` gives the accepted range. "7", "7/10",
    "j'ai 7", "sept" answer a scale; "pas bien", "ça va" answer buttons labelled so.
    """
    norm = normalize(text.replace("/", " sur "))
    words = norm.split()
    if not words or len(words) > _MAX_ANSWER_WORDS:
        return None
    values = {value for _, value in choices}
    if scale is not None:
        low, high = scale
        found = _SCORE_RE.match(norm) or _SCORE_ANYWHERE_RE.search(norm)
        number: int | None = int(found.group(1)) if found else None
        if number is None and len(words) <= 3:
            spelled = [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS]
            number = spelled[0] if len(spelled) == 1 else None
        if number is not None and low <= number <= high and str(number) in values:
            return str(number)
        if number is not None:
            return None
    norm = _ANSWER_SYNONYMS.get(norm.removeprefix("je vais ").removeprefix("je me sens "), norm)
    # The longest label contained in the message wins: "pas bien" over "bien".
    best: tuple[int, str] | None = None
    padded = f" {norm} "
    for label, value in choices:
        key = normalize(label)
        contained = bool(key) and (f" {key} " in padded or norm == value.replace("_", " "))
        if contained and (best is None or len(key) > best[0]):
            best = (len(key), value)
    if best is None and len(words) == 1:
        # "oui" for "Oui, nettement": a lone word opening exactly one label.
        opening = [v for label, v in choices if normalize(label).split()[:1] == words]
        return opening[0] if len(opening) == 1 else None
    return best[1] if best else None
