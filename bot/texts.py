"""Every sentence a patient or a staff member reads, in one place, and date formatting.

Patient texts are plain text: the Telegram layer escapes them for HTML, and
``python -m bot ask`` prints them as they are. Staff texts that need formatting are HTML
templates whose placeholders are escaped by the caller (see ``escalation.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta

if TYPE_CHECKING:
    from bot.config import Settings

LOCALE = "fr_FR"

# --- Patient: welcome and help -------------------------------------------------------------

WELCOME = (
    "Bonjour et bienvenue 👋\n\n"
    "Je suis l'assistant de suivi de l'équipe de radiologie interventionnelle de "
    "l'Hôpital Américain de Paris, pour l'injection de toxine botulique (botox) dans le "
    "syndrome des releveurs.\n\n"
    "Vous pouvez m'écrire vos questions sur l'intervention, avec vos mots : comment elle se "
    "déroule, sa durée, l'anesthésie, le retour à la maison… Je réponds à partir des "
    "informations de l'hôpital, et quand je ne sais pas, je vous le dis.\n\n"
    "Pour recevoir des rappels avant et après votre injection, ouvrez le lien personnel que "
    "l'équipe soignante vous a remis.\n\n"
    "Un souci, une inquiétude ? Écrivez-le moi simplement, ou appelez l'équipe au "
    "{hotline}, joignable en permanence."
)

HELP = (
    "Voici ce que je peux faire pour vous :\n\n"
    "• Répondre à vos questions sur l'injection : écrivez-les simplement, par exemple "
    "« combien de temps ça dure ? » ou « est-ce que je rentre le jour même ? ».\n"
    "• /questions : parcourir les questions fréquentes par thème.\n"
    "• /urgence : demander à être recontacté par l'équipe.\n\n"
    "En cas de symptôme inquiétant, appelez l'équipe au {hotline} (joignable en permanence) "
    "ou, en cas de danger immédiat, le 15 ou le 112."
)

COMMANDS_MENU: list[tuple[str, str]] = [
    ("start", "Commencer"),
    ("questions", "Questions fréquentes par thème"),
    ("urgence", "Être recontacté par l'équipe"),
    ("rdv", "Mon rendez-vous"),
    ("stop", "Ne plus recevoir de rappels"),
    ("supprimer", "Effacer mes données"),
    ("aide", "Ce que je peux faire"),
]

# --- Patient: what the bot does not read ---------------------------------------------------

MEDIA_NOT_READ = (
    "Je ne sais lire que les messages écrits 🙏 Pouvez-vous m'écrire votre question en "
    "quelques mots ? Pour toute inquiétude, l'équipe est joignable au {hotline}."
)

VOICE_NOT_READ = (
    "Je ne peux pas écouter les messages vocaux 🙏 Pouvez-vous m'écrire votre message ? "
    "Si c'est urgent, appelez tout de suite l'équipe au {hotline} (joignable en permanence), "
    "ou le 15 en cas de danger immédiat."
)

EMPTY_MESSAGE = "Je vous écoute : écrivez-moi votre question en quelques mots."

# --- Patient: FAQ outcomes ------------------------------------------------------------------

FALLBACK = (
    "Je n'ai pas cette information, et je préfère ne pas vous répondre au hasard.\n\n"
    "L'équipe peut vous répondre : appelez-la au {hotline} (joignable en permanence), "
    "ou transmettez-lui votre question avec le bouton ci-dessous."
)
CLARIFY = "Je veux être sûr de bien vous comprendre. Votre question porte-t-elle sur :"
CLARIFY_NONE = "Autre question"
CLARIFY_NONE_REPLY = (
    "D'accord. Pouvez-vous reformuler votre question en quelques mots ? Vous pouvez aussi "
    "appeler l'équipe au {hotline}, joignable en permanence."
)
RELATED_INTRO = "Vous vous demandez peut-être aussi :"
FORWARD_BUTTON = "📨 Transmettre à l'équipe"
STALE_BUTTON = "Ce bouton n'est plus valable. Écrivez-moi votre question."

QUESTIONS_INTRO = "Choisissez un thème :"
QUESTIONS_THEME = "{theme} — choisissez une question :"
BACK_TO_THEMES = "« Thèmes"


def appointment_words(when: datetime, tz: ZoneInfo) -> str:
    """'lundi 7 décembre 2026 à 09:30' in the hospital's time zone."""
    return format_datetime(when.astimezone(tz), "EEEE d MMMM y 'à' HH:mm", locale=LOCALE)


def with_hotline(template: str, hotline: str) -> str:
    return template.replace("{hotline}", hotline)


# --- Patient: alerts and the team ----------------------------------------------------------

ALERT_ACKNOWLEDGED = (
    "Un membre de l'équipe soignante a pris connaissance de votre message et s'en occupe. "
    "Si votre état s'aggrave, appelez le {hotline} ou, en cas de danger immédiat, le 15."
)
STAFF_REPLY_TO_PATIENT = "💬 Message de l'équipe soignante :\n\n{text}"
FOLLOWUP_FORWARDED = (
    "Votre message a bien été transmis à l'équipe qui suit votre demande. "
    "Pour une urgence, appelez le {hotline}."
)
QUESTION_FORWARDED = (
    "C'est transmis : l'équipe a reçu votre question et vous répondra ici. "
    "Si c'est pressé, appelez le {hotline}, joignable en permanence."
)

# --- Staff (HTML; every placeholder is escaped by the caller) --------------------------------

STAFF_ALERT = (
    "{severity} — <b>{categories}</b>\n"
    "Patient : <b>{label}</b>\n"
    "Intervention : {appointment}\n"
    "Reçu : {received}\n"
    "Le bot lui a indiqué : {told}\n\n"
    "<blockquote>{message}</blockquote>\n"
    "<i>Alerte n° {alert_id} · répondez à ce message pour préparer une réponse au patient.</i>"
)
STAFF_RENOTIFY_PREFIX = "🔁 <b>Rappel : alerte non prise en charge depuis {minutes} min</b>\n\n"
STAFF_FOLLOWUP = (
    "↪️ Nouveau message de <b>{label}</b> (alerte n° {alert_id}), reçu {received} :\n"
    "<blockquote>{message}</blockquote>"
)
STAFF_QUESTION = (
    "❔ Question transmise par <b>{label}</b> (non urgente), reçue {received} :\n"
    "<blockquote>{message}</blockquote>\n"
    "<i>Alerte n° {alert_id} · répondez à ce message pour préparer une réponse au patient.</i>"
)
STAFF_ACK_LINE = "\n\n✅ <b>Pris en charge par {name}</b> à {time}"
STAFF_CLOSED_LINE = "\n\n☑️ <b>Clos</b> à {time}"
STAFF_ACK_BUTTON = "✅ Pris en charge"
STAFF_CLOSE_BUTTON = "☑️ Clore"
STAFF_ACK_DONE = "C'est noté, l'alerte est à vous."
STAFF_ALREADY_ACK = "Déjà pris en charge par {name}."
STAFF_ALREADY_CLOSED = "Cette alerte est déjà close."
STAFF_CLOSED_DONE = "Alerte close."
STAFF_NOT_ALLOWED = "Cette action est réservée à l'équipe soignante."
STAFF_UNKNOWN_ALERT = "Alerte introuvable."
STAFF_RELAYED = "✓ Réponse mise en envoi vers le patient."
STAFF_CLOSE_USAGE = (
    "Pour clore une alerte : répondez à son message avec /clore, ou /clore <numéro>."
)
UNENROLLED_LABEL = "patient non inscrit"
NO_APPOINTMENT = "date non renseignée"
TRUNCATED = " […message tronqué]"


def relative_day(appointment: datetime, now: datetime, tz: ZoneInfo) -> str:
    """J-3, J0, J+2: calendar days between today and the appointment, in local time."""
    delta = (now.astimezone(tz).date() - appointment.astimezone(tz).date()).days
    return "J0" if delta == 0 else f"J{delta:+d}"


def short_time(when: datetime, tz: ZoneInfo) -> str:
    """'28/11/2026 à 03:12' in local time."""
    return format_datetime(when.astimezone(tz), "dd/MM/y 'à' HH:mm", locale=LOCALE)


def clock_time(when: datetime, tz: ZoneInfo) -> str:
    return format_datetime(when.astimezone(tz), "HH:mm", locale=LOCALE)


RELOAD_OK = "Contenus rechargés : la FAQ et les règles d'alerte à jour sont en service."
RELOAD_FAILED = "Rechargement refusé : la version précédente reste en service. À corriger :"


# --- Enrolment (patient) --------------------------------------------------------------------

CONSENT_REQUEST = (
    "Bonjour 👋 Je suis l'assistant de suivi de l'équipe de radiologie interventionnelle de "
    "l'Hôpital Américain de Paris.\n\n"
    "Votre injection est prévue le {date}.\n\n"
    "Si vous êtes d'accord, je vous enverrai ici :\n"
    "• des rappels avant l'intervention ;\n"
    "• quelques questions de suivi après (comment vous allez, votre douleur), dont les "
    "réponses inquiétantes sont transmises à l'équipe.\n\n"
    "Ce que je conserve, sur un serveur de l'hôpital : votre identifiant Telegram (pas votre "
    "numéro), la date du rendez-vous, le code choisi par l'équipe pour vous identifier (pas "
    "votre nom), vos réponses de suivi, les questions auxquelles je ne sais pas répondre, vos "
    "messages d'alerte et vos échanges avec l'équipe. Les alertes et les questions transmises "
    "sont aussi copiées dans le groupe Telegram de l'équipe soignante.\n\n"
    "Pendant combien de temps : {retention} jours après l'intervention au plus, puis tout est "
    "effacé (une copie peut rester {backup_days} jours de plus dans les sauvegardes). Nos "
    "messages passent par Telegram, une société extérieure à l'hôpital.\n\n"
    "Responsable du traitement : {controller}. Délégué à la protection des données : {dpo}.\n\n"
    "Vous pourrez arrêter à tout moment (/stop) ou tout effacer (/supprimer).\n\n"
    "Acceptez-vous ce suivi ?"
)
CONSENT_YES = "✅ J'accepte"
CONSENT_NO = "Non merci"
CONSENT_DONE = (
    "Merci, c'est noté. Votre injection est prévue le {date}. Je vous écrirai avant et "
    "après. En attendant, posez-moi vos questions quand vous voulez.\n\n"
    "En cas d'inquiétude, l'équipe est joignable en permanence au {hotline}."
)
CONSENT_DECLINED = (
    "C'est noté : je ne vous enverrai ni rappels ni questions de suivi, et votre compte "
    "Telegram n'est pas relié à votre rendez-vous.\n\n"
    "Vous pouvez quand même me poser vos questions sur l'intervention. Je garde alors "
    "{retention} jours, avec votre identifiant Telegram, les questions auxquelles je ne sais "
    "pas répondre et les messages d'alerte transmis à l'équipe ; /supprimer les efface.\n\n"
    "Si vous changez d'avis, rouvrez le lien de l'équipe. Responsable du traitement : "
    "{controller}. Délégué à la protection des données : {dpo}."
)
INVITE_INVALID = (
    "Ce lien n'est pas (ou plus) valable : il a peut-être déjà servi ou expiré. Demandez un "
    "nouveau lien à l'équipe soignante, au {hotline}. Vous pouvez tout de même me poser vos "
    "questions sur l'intervention."
)
RESUMED = (
    "Bon retour parmi nous. Les rappels et questions de suivi reprennent. Votre rendez-vous : "
    "{date}."
)
APPOINTMENT_IS = "Votre injection est prévue le {date} ({when})."
NO_APPOINTMENT_PATIENT = (
    "Je n'ai pas de rendez-vous enregistré pour vous. Pour recevoir les rappels, ouvrez le "
    "lien personnel donné par l'équipe soignante ({hotline})."
)
STOPPED = (
    "C'est noté : je ne vous enverrai plus de rappels ni de questions de suivi. Vous pouvez "
    "toujours m'écrire vos questions, et l'équipe reste joignable au {hotline}. Pour reprendre, "
    "tapez /start."
)
ERASE_CONFIRM = (
    "Voulez-vous vraiment effacer tout ce que je conserve à votre sujet (rendez-vous, réponses, "
    "questions, messages) ? Mes messages à votre sujet dans le groupe de l'équipe seront "
    "remplacés par « message effacé ». Je ne pourrai plus vous envoyer de rappels. "
    "C'est définitif."
)
ERASE_YES = "Oui, tout effacer"
ERASE_NO = "Non, garder"
ERASED = (
    "C'est fait : j'ai effacé tout ce que je conservais à votre sujet, et mes messages à votre "
    "sujet dans le groupe de l'équipe vont être remplacés par « message effacé ». Une copie "
    "peut rester jusqu'à {backup_days} jours dans les sauvegardes de l'hôpital, puis "
    "disparaît.\n\n"
    "Cette conversation reste dans votre Telegram : vous pouvez la supprimer vous-même. Ce "
    "que l'équipe a noté elle-même (votre dossier médical, ses propres messages) n'est pas "
    "concerné : pour cela, écrivez à {controller} ou au délégué à la protection des données "
    "({dpo}). L'équipe reste joignable au {hotline}."
)
ERASE_KEPT = "D'accord, rien n'a été effacé."
CHECKIN_THANKS = "Merci pour votre réponse 🙏"
CHECKIN_WORRYING = (
    "Merci de nous avoir répondu. J'ai prévenu l'équipe soignante, qui va vous recontacter. "
    "Si vous êtes inquiet ou si cela s'aggrave, appelez le {hotline} (joignable en permanence), "
    "ou le 15 en cas de danger immédiat."
)
CHECKIN_NOTED = (
    "Merci de nous avoir répondu. Je transmets votre réponse à l'équipe, qui vous recontactera "
    "pour organiser la suite de votre suivi. Pour toute question d'ici là, la ligne de l'hôpital "
    "est joignable en permanence au {hotline}."
)
CHECKIN_ALREADY = "Votre réponse à cette question est déjà enregistrée, merci."
RESCHEDULED_PATIENT = (
    "Votre rendez-vous a été déplacé : il est désormais prévu le {date}. Les rappels suivront "
    "cette nouvelle date."
)
CANCELLED_PATIENT = (
    "Votre rendez-vous du {date} a été annulé par l'équipe : vous ne recevrez plus de rappels. "
    "Pour toute question, appelez le {hotline}."
)


def relative_words(when: datetime, now: datetime, tz: ZoneInfo) -> str:
    """'aujourd'hui', 'demain', 'dans 3 jours', 'il y a 2 jours' by local calendar days."""
    days = (when.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days == 0:
        return "aujourd'hui"
    if days == 1:
        return "demain"
    if days == -1:
        return "hier"
    return format_timedelta(
        timedelta(days=days),
        granularity="day",
        threshold=10_000,
        add_direction=True,
        locale=LOCALE,
    )


# --- Enrolment (staff) ----------------------------------------------------------------------

ENROLLED = (
    "Patient <b>{label}</b> (n° {patient_id}) inscrit pour le {date}.\n"
    "Lien personnel à lui transmettre (valable {days} jours, une seule fois) :\n{link}"
)
ENROLL_USAGE = (
    "Usage : /inscrire AAAA-MM-JJ HH:MM libellé\n"
    "Ex. : /inscrire 2026-12-07 09:30 M.D. 4471 (un pseudonyme, pas le nom du patient)."
)
DATE_INVALID = "Date ou heure invalide : attendu AAAA-MM-JJ HH:MM, par ex. 2026-12-07 09:30."
DATE_PAST = "Cette date est déjà passée."
LABEL_INVALID = "Libellé invalide : 1 à 40 caractères, sur une ligne."
MOVE_USAGE = "Usage : /deplacer n° AAAA-MM-JJ HH:MM (n° : voir /patients)."
CANCEL_USAGE = "Usage : /annuler n° (voir /patients)."
FOLLOWUP_USAGE = "Usage : /suivi n° (voir /patients)."
PATIENT_UNKNOWN = "Patient introuvable (voir /patients)."
MOVED_STAFF = "Rendez-vous de <b>{label}</b> déplacé au {date} ; rappels recalculés."
CANCELLED_STAFF = "Rendez-vous de <b>{label}</b> annulé ; rappels arrêtés."
PATIENTS_EMPTY = "Aucun patient à venir ou récent."
PATIENTS_HEADER = "<b>Patients</b> (à venir et des 30 derniers jours) :"
PATIENT_LINE = "n° {id} · <b>{label}</b> · {date} · {status} · rappels {sent}/{total}"
PATIENT_STATUS = {
    "invited": "lien non ouvert",
    "active": "suivi actif",
    "declined": "a refusé",
    "stopped": "suivi arrêté",
    "cancelled": "annulé",
}
FOLLOWUP_HEADER = "<b>Suivi de {label}</b> (intervention le {date}) :"
FOLLOWUP_LINE = "{day} · {step} · {answer}"
CHART_TITLE = "Douleur déclarée — {label}"
FOLLOWUP_NONE = "Aucune réponse de suivi pour l'instant."
NO_ANSWER_NOTE = (
    "🔕 Pas de réponse de <b>{label}</b> à la question de suivi « {step} » envoyée le {sent} "
    "(note non urgente)."
)
CHECKIN_ALERT_LABEL = "Réponse de suivi inquiétante"
PATIENT_LEFT = (
    "Le patient n° {patient_id} a effacé ses données (demande faite dans le bot). Mes messages "
    "à son sujet dans ce groupe sont remplacés par « message effacé »."
)

# --- Hostile and odd input -------------------------------------------------------------------

ONLY_FRENCH = (
    "Je ne comprends que le français, désolé. / Sorry, I only understand French.\n\n"
    "Pour parler à l'équipe, appelez le {hotline} (joignable en permanence). En cas "
    "d'urgence vitale, appelez le 15 ou le 112."
)
SLOW_DOWN = (
    "Je reçois beaucoup de messages d'un coup : je vais en lire moins pendant une minute. "
    "Si c'est urgent, appelez tout de suite le {hotline}, ou le 15 en cas de danger immédiat."
)

INTERNAL_ERROR = (
    "Désolé, je n'ai pas pu traiter votre message à cause d'un problème technique. Si c'est "
    "urgent, appelez tout de suite l'équipe au {hotline} (joignable en permanence), ou le 15 "
    "en cas de danger immédiat."
)


# --- #11 alerts: kinds, relay drafts, escalation policy (staff texts are HTML templates;
# render.html_format escapes every value) ------------------------------------------------------

KIND_CHECK_LABEL = "🟡 À vérifier (filet de sécurité)"
KIND_NOTE_LABEL = "⚪ Signalement non urgent"
KIND_LOGISTICS_LABEL = "📅 Demande d'organisation"
KIND_CHECKIN_LABEL = "🟠 Suivi : réponse inquiétante"
TOLD_HOTLINE = "la ligne de l'hôpital"
TOLD_NOTHING = "aucun numéro"
STAFF_RERAISE = (
    "🚨 <b>Nouveau message urgent</b> — {severity} — <b>{categories}</b>\n"
    "Patient : <b>{label}</b> (alerte n° {alert_id}), reçu {received}\n"
    "Le bot lui a indiqué : {told}\n"
    "<blockquote>{message}</blockquote>"
)
STAFF_NOTE = (
    "⚪ <b>Signalement non urgent</b> de <b>{label}</b> (pour information), reçu {received}\n"
    "Intervention : {appointment}\n"
    "<blockquote>{message}</blockquote>\n"
    "<i>Alerte n° {alert_id} · le patient a reçu le numéro de la ligne. Répondez à ce message "
    "pour préparer une réponse.</i>"
)
STAFF_LOGISTICS = (
    "📅 <b>Demande d'organisation</b> de <b>{label}</b>, reçue {received}\n"
    "Intervention : {appointment}\n"
    "<blockquote>{message}</blockquote>\n"
    "<i>Alerte n° {alert_id} · répondez à ce message pour préparer une réponse au patient.</i>"
)
STAFF_ALERT_UNSTORED = (
    "{severity} — <b>{categories}</b>\n"
    "⚠️ <b>Base de données indisponible</b> : alerte envoyée directement, sans boutons. Elle "
    "sera enregistrée (et reposée avec ses boutons) dès que possible.\n"
    "Reçu : {received}\n"
    "Le bot a indiqué au patient : {told}\n\n"
    "<blockquote>{message}</blockquote>"
)
RELAY_PREVIEW = (
    "✉️ <b>Aperçu de la réponse au patient</b> (alerte n° {alert_id}, {parts} message(s)) :\n"
    "<blockquote>{message}</blockquote>\n"
    "<i>Rien n'est envoyé tant que personne n'appuie sur « Envoyer au patient ».</i>"
)
RELAY_SEND_BUTTON = "📤 Envoyer au patient"
RELAY_CANCEL_BUTTON = "Annuler"
RELAY_SENT_LINE = "\n\n📤 <b>Envoyé</b> par {name} à {time}"
RELAY_CANCELLED_LINE = "\n\n✖️ <b>Annulé</b> par {name} à {time}"
RELAY_DRAFT_GONE = "Cet aperçu a déjà été envoyé ou annulé."
RELAY_FAILED = (
    "⚠️ La réponse de l'équipe n'a pas pu être remise au patient (alerte n° {alert_id}) : "
    "{reason}. Appelez-le si besoin."
)
RELAY_FAILED_BLOCKED = "le patient a bloqué le bot"
RELAY_FAILED_REJECTED = "Telegram a refusé le message"
ONCALL_PAGE = (
    "📟 <b>Astreinte</b> : alerte n° {alert_id} ({severity}) de <b>{label}</b> non prise en "
    "charge depuis {minutes} min. Voir le groupe de l'équipe."
)
STAFF_ESCALATED = (
    "📟 Alerte n° {alert_id} toujours sans prise en charge : {n} personne(s) d'astreinte "
    "prévenue(s) en privé, et le patient invité à appeler la ligne ou le 15."
)
ESCALATION_PATIENT_CALL = (
    "L'équipe n'a pas encore pu lire votre message. N'attendez pas : appelez maintenant la "
    "ligne de l'hôpital au {hotline} (joignable en permanence), ou le 15 en cas de danger "
    "immédiat."
)
STAFF_ACK_REMINDER = (
    "⏰ Alerte n° {alert_id} prise en charge par {name} il y a plus de {hours} h et toujours "
    "ouverte. Si c'est réglé, closez-la."
)
STAFF_AUTO_CLOSED = (
    "☑️ Alerte n° {alert_id} close automatiquement après {hours} h sans nouvel échange."
)
THREAD_CLOSED_PATIENT = (
    "Votre échange avec l'équipe est terminé de notre côté. Vous pouvez de nouveau me poser "
    "vos questions ici. Pour toute inquiétude, la ligne de l'hôpital reste joignable en "
    "permanence au {hotline}."
)
STAFF_OPEN_ALERTS_HEADER = "<b>Alertes en cours</b> (les plus anciennes d'abord) :"
STAFF_OPEN_ALERT_LINE = "n° {id} · {kind} · <b>{label}</b> · depuis {since} · {state}"
STAFF_OPEN_ALERTS_MORE = (
    "… et d'autres alertes plus récentes, non affichées (les {n} plus anciennes seulement) : "
    "closez celles qui sont réglées pour voir les suivantes."
)
STAFF_OPEN_ALERTS_NONE = "Aucune alerte en cours."
ALERT_STATE_WORDS = {"open": "⏳ en attente", "acknowledged": "✅ prise en charge par {name}"}
STAFF_HELP = (
    "<b>Dans ce groupe</b>\n"
    "• Les alertes arrivent ici : « Pris en charge » pour la prendre, « Clore » quand c'est "
    "réglé.\n"
    "• Répondre à un message d'alerte prépare une réponse au patient : elle ne part qu'après "
    "« Envoyer au patient ».\n"
    "• /alertes : les alertes en cours · /clore n° : clore une alerte\n"
    "• /inscrire AAAA-MM-JJ HH:MM libellé · /patients · /deplacer n° AAAA-MM-JJ HH:MM · "
    "/annuler n° · /suivi n°\n"
    "• /recharger : recharger la FAQ, les règles d'alerte et le plan de rappels"
)


def step_title(days: int | None, offset: timedelta | None) -> str:
    """'Suivi J+7' (or 'Suivi H+2') for staff, instead of the plan's step id."""
    if days is not None:
        return f"Suivi J{days:+d}"
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    return f"Suivi H{hours:+d}"


# --- #12 erasure and privacy ----------------------------------------------------------------

HELP_PRIVACY = (
    "🔒 Vos données : sur un serveur de l'hôpital, je garde votre identifiant Telegram, votre "
    "rendez-vous, vos réponses de suivi, les questions auxquelles je ne sais pas répondre, vos "
    "alertes et vos échanges avec l'équipe, {retention} jours au plus après l'intervention (ou "
    "après votre message si vous n'êtes pas inscrit). Alertes et questions transmises sont "
    "copiées dans le groupe Telegram de l'équipe. Nos messages passent par Telegram, société "
    "extérieure à l'hôpital. /supprimer efface tout.\n"
    "Responsable du traitement : {controller}. Délégué à la protection des données : {dpo}."
)

# Staff group (HTML): what the bot's own posts about a patient become.
REDACTED_ERASURE = "🗑 <i>Message effacé à la demande du patient.</i>"
REDACTED_EXPIRED = "🗑 <i>Message effacé : durée de conservation écoulée.</i>"


def with_privacy(template: str, settings: Settings) -> str:
    """Fill the data-protection placeholders from the settings.

    Done before any ``.format()``: the contacts are checked free of braces (config.py).
    """
    for key, value in (
        ("{retention}", str(settings.retention_days)),
        ("{backup_days}", str(settings.backup_retention_days)),
        ("{controller}", settings.data_controller),
        ("{dpo}", settings.dpo_contact),
    ):
        template = template.replace(key, value)
    return template


# --- Issue 10: triage (questions about risk) ---------------------------------------------------

# A question about a warning sign ("et si j'avais du mal à avaler ?"): the signs, who to call,
# and no alert. Asked, not lived: never "ce que vous décrivez".
TRIAGE_RISK_INFO = (
    "Bonne question. Si un jour vous aviez du mal à avaler, à respirer ou à parler, une vision "
    "double ou un malaise avec perte de connaissance, appelez tout de suite le 15 (SAMU) ou le "
    "112.\n"
    "Une fièvre, un saignement qui ne s'arrête pas, une douleur qui augmente, des difficultés "
    "pour uriner ou une perte de contrôle des selles ou des urines : appelez la ligne de "
    "l'hôpital au {hotline}, joignable à tout moment.\n"
    "Pour toute autre question, l'équipe vous répond au {hotline}."
)


# --- Issue 9: what patients actually write (topics, requests, feelings, history) -----------

# "{missing}" comes from faq/hors_sujet.yaml (ne_precise_pas), e.g. "le prix de l'injection ni
# son remboursement". No fact from the page: only who can answer.
TOPIC_FALLBACK = (
    "La page de l'hôpital ne précise pas {missing}, et je préfère ne pas vous répondre au "
    "hasard.\n\n"
    "L'équipe peut vous répondre : appelez-la au {hotline} (joignable en permanence), "
    "ou transmettez-lui votre question avec le bouton ci-dessous."
)
# After the answer to one question, when the other question of the message is off the page.
OTHER_QUESTION_NOT_ON_PAGE = (
    "Pour votre autre question : la page de l'hôpital ne précise pas {missing}. L'équipe "
    "peut vous répondre au {hotline} (joignable en permanence)."
)
# Between two answers, when one message asked two questions.
SECOND_ANSWER_SEPARATOR = "\n\n—\n\n"
# Cancel, late, can't come, move the appointment: passed to the staff as a low-priority request.
REQUEST_FORWARDED = (
    "C'est noté : je transmets votre message à l'équipe, qui vous répondra ici ou vous "
    "rappellera.\n\n"
    "Si c'est pour aujourd'hui ou demain, le plus sûr est aussi d'appeler la ligne au "
    "{hotline} (joignable en permanence)."
)
# Fear, anguish, loneliness, discouragement: warm, and what they can do.
SUPPORT = (
    "Ce que vous ressentez est tout à fait compréhensible, et vous n'êtes pas seul·e : "
    "beaucoup de patients ressentent la même chose avant ou après ce soin.\n\n"
    "Vous pouvez m'écrire vos questions à tout moment. Pour parler à une personne de "
    "l'équipe, la ligne est joignable en permanence : {hotline}. Et lors de la consultation, "
    "n'hésitez pas à dire au radiologue ce qui vous inquiète : il est là pour en parler avec "
    "vous."
)
# A feeling told with a symptom ("je me sens découragée, la douleur est toujours là"): said
# before the note's acknowledgement (the triage file's "concern" reply), which keeps its advice.
SUPPORT_WITH_NOTE = (
    "Ce que vous ressentez est tout à fait compréhensible, et vous n'êtes pas seul·e : "
    "beaucoup de patients traversent des moments comme celui-ci.\n\n"
)
# A medical history or a treatment (myasthénie, grossesse, anticoagulants, diabète...).
HISTORY = (
    "Merci de me le dire. C'est une information importante, mais je ne peux pas vous "
    "répondre pour votre situation personnelle : signalez-le à l'équipe avant l'injection.\n\n"
    "Appelez la ligne au {hotline} (joignable en permanence), ou transmettez votre message à "
    "l'équipe avec le bouton ci-dessous."
)
# After the card a story asked for, when it also told a medical history.
HISTORY_BESIDE_ANSWER = (
    "Vous me parlez aussi de votre santé : c'est important, mais je ne peux pas vous répondre "
    "pour votre situation personnelle. Signalez-le à l'équipe avant l'injection, au {hotline} "
    "(joignable en permanence) ou avec le bouton ci-dessous."
)
# The message asks for /stop or /supprimer: the caller runs that command's flow.
STOP_ASKED = "Vous souhaitez ne plus recevoir de messages : c'est entendu, je m'en occupe."
ERASE_ASKED = "Vous souhaitez que vos données soient supprimées : c'est entendu, je m'en occupe."


# --- #12 admin files and labels ------------------------------------------------------------

ADMIN_FILE_MISSING = "lecture impossible : fichier introuvable"
ADMIN_FILE_UNREADABLE = "lecture impossible : {reason}"
ADMIN_FILE_IS_DIR = "c'est un dossier, pas un fichier"
ADMIN_FILE_IS_FIFO = "c'est un tube nommé (FIFO), pas un fichier ordinaire : refusé sans le lire"
ADMIN_FILE_IS_DEVICE = "c'est un périphérique, pas un fichier ordinaire : refusé sans le lire"
ADMIN_FILE_NOT_REGULAR = "ce n'est pas un fichier ordinaire : refusé sans le lire"
ADMIN_FILE_LINK_OUTSIDE = (
    "lien symbolique vers « {target} », hors du dossier : copiez le fichier dans le dossier"
)
ADMIN_FILE_TOO_BIG = "fichier trop gros ({size}, au plus {limit}) : refusé sans le lire"
ADMIN_FILE_CHANGED = "le fichier a été remplacé pendant la lecture : relancez la vérification"
ADMIN_FILE_NOT_UTF8 = (
    "caractère illisible : le fichier doit être enregistré en UTF-8 (vérifiez cette ligne)"
)
RELOAD_MORE_ONE = "… et 1 autre erreur."
RELOAD_MORE = "… et {n} autres erreurs."

LABEL_INVISIBLE = (
    "Libellé refusé : il contient un caractère invisible ou de mise en forme ({code}), qui "
    "peut changer l'affichage du texte. Retapez le libellé au clavier plutôt que de le coller."
)
DATE_TOO_FAR = (
    "Cette date est dans plus de {years} ans : vérifiez l'année "
    "(attendu AAAA-MM-JJ HH:MM, par ex. 2026-12-07 09:30)."
)


# --- issue 10: safety net --------------------------------------------------------------------
# The learned safety net flagged a message the rules let through: the patient is not told it
# is an emergency (it may not be), but a person will read it, and the line and the 15 are
# given in case it is.

NET_CHECK_REPLY = (
    "Merci pour votre message. Je préfère qu'une personne de l'équipe soignante le lise : "
    "je viens de le lui transmettre.\n"
    "Si vous ne vous sentez pas bien ou si cela vous inquiète, appelez dès maintenant la "
    "ligne de l'hôpital au {hotline}, joignable jour et nuit.\n"
    "En cas de difficulté à respirer ou à avaler, de malaise ou de saignement important, "
    "appelez le 15 (SAMU) ou le 112."
)
NET_CHECK_REPLY_EN = (
    "Thank you for your message. I have passed it on to the care team so that a person reads "
    "it. If you feel unwell or worried, call the hospital line now on {hotline}, day and "
    "night. If you have trouble breathing or swallowing, feel faint or are bleeding heavily, "
    "call 15 (SAMU) or 112."
)
# Staff: the category shown on a net-only alert, next to KIND_CHECK_LABEL.
NET_CATEGORY_LABEL = "Message inhabituel repéré par le filet de sécurité (à relire)"


# --- issue 14: schema messages -------------------------------------------------------------
# How bot/schema.py words a pydantic error in an admin file (FAQ, reminder plan), after
# "fichier:ligne: ". {key} is the YAML key at fault in guillemets, or "un élément de « key »"
# for a list item.

SCHEMA_MISSING = "champ obligatoire {key} manquant"
SCHEMA_UNKNOWN = "clé inconnue « {key} »{where}{hint}"
SCHEMA_AT_TOP = " en tête de fichier"
SCHEMA_DID_YOU_MEAN = " (vouliez-vous dire « {key} » ?)"
SCHEMA_KNOWN_KEYS = " (clés possibles : {keys})"
SCHEMA_FILE_MAPPING = "le fichier doit être un bloc de clés ({fields})"
SCHEMA_MAPPING = "{key} doit être un bloc de clés ({fields})"
SCHEMA_FILE_LIST = "le fichier doit être une liste (lignes commençant par « - »)"
SCHEMA_LIST = "{key} doit être une liste (lignes commençant par « - »)"
SCHEMA_EMPTY_LIST = "la liste {key} est vide"
SCHEMA_TOO_MANY = "trop d'éléments dans {key} ({count}, {limit} au plus)"
SCHEMA_CHOICE = "{key} invalide : « {value} » ; valeurs possibles : {expected}"
SCHEMA_BOOL = "{key} doit valoir true ou false"
SCHEMA_TEXT = "{key} doit être un texte"
SCHEMA_INT = "{key} doit être un nombre entier"
SCHEMA_EMPTY_TEXT = "{key} est vide"
SCHEMA_BAD_VALUE = "valeur invalide pour {key}"
SCHEMA_ITEM_OF = "un élément de « {key} »"
SCHEMA_KEY = "« {key} »"
SCHEMA_THE_FILE = "le fichier"
SCHEMA_FILE_ITEM = "un élément du fichier"
