"""Writes the safety net's training corpus, ``data/triage_net/corpus.tsv`` (issue 10).

Run with ``python -m bench.triage_corpus``; the output is deterministic (fixed seed) and
committed. Each line is ``label<TAB>kind/style<TAB>group<TAB>text``; label 1 = possibly
urgent (a red flag reported now, a person asked for now), 0 = not urgent (questions about
risk, hypotheticals, past and resolved, negated, other people's stories, idioms, chronic pain
as usual, trivial events, everyday questions, non-urgent concerns).

The corpus is written from slot lists and templates below plus the hand-written sentences
of ``data/triage_net/handwritten.tsv``. None of it comes from the evaluation sets
(``tests/data/triage_eval.yaml``, ``tests/data/triage_round*.yaml``): those measure the net.
Augmentations (no accents, SMS forms, dictation without punctuation, one typo) are applied to
both labels alike, so that the style of a message never tells its label.
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "triage_net" / "corpus.tsv"
HANDWRITTEN = ROOT / "data" / "triage_net" / "handwritten.tsv"

# --- urgent: first-person reports, present ------------------------------------------------

URGENT_1P: dict[str, list[str]] = {
    "deglutition": [
        "j'ai du mal à avaler",
        "j'arrive plus à avaler",
        "je n'arrive plus à avaler ma salive",
        "ça coince quand j'avale",
        "la nourriture ne passe plus",
        "je m'étouffe en buvant",
        "je fais des fausses routes à chaque gorgée",
        "j'ai comme une boule dans la gorge et rien ne passe",
        "avaler me fait l'effet d'un blocage",
        "je bois et ça repart par le nez",
        "j'ai de plus en plus de mal à déglutir",
        "je ne peux plus rien avaler",
        "l'eau ne descend pas, je m'étrangle",
        "je dois m'y reprendre à plusieurs fois pour avaler",
    ],
    "respiration": [
        "j'ai du mal à respirer",
        "je respire mal",
        "j'arrive pas à reprendre mon souffle",
        "je suis essoufflé au moindre effort",
        "j'étouffe",
        "je manque d'air",
        "j'ai l'impression que l'air ne rentre plus",
        "je suffoque",
        "ma respiration est courte et sifflante",
        "je n'arrive plus à respirer normalement",
        "je cherche mon air même assis",
        "j'ai le souffle coupé sans rien faire",
        "j'ai la poitrine qui se serre et je respire mal",
    ],
    "parole": [
        "je n'arrive plus à articuler",
        "ma voix est devenue nasillarde",
        "je parle bizarrement, les mots sortent mal",
        "je bafouille, les mots ne sortent plus",
        "j'ai du mal à parler",
        "ma voix est toute faible, je n'arrive plus à parler fort",
        "j'ai la bouche de travers",
        "je prononce mal, on ne me comprend plus",
        "ma langue est pâteuse et je n'articule plus",
    ],
    "vue": [
        "je vois double",
        "ma paupière tombe",
        "je n'arrive plus à ouvrir l'œil",
        "ma vue se brouille d'un coup",
        "j'ai une vision double",
        "mes paupières sont lourdes et tombent",
        "je vois trouble même avec mes lunettes",
        "j'ai perdu la vue d'un œil",
        "tout est dédoublé quand je regarde au loin",
    ],
    "conscience": [
        "je me suis évanoui",
        "j'ai perdu connaissance",
        "j'ai fait un malaise",
        "je me sens partir",
        "j'ai eu un black-out et je me suis retrouvé par terre",
        "je suis tombé dans les pommes",
        "j'ai la tête qui tourne très fort, je vais tomber",
        "je me suis réveillé par terre sans savoir pourquoi",
    ],
    "allergie": [
        "mes lèvres gonflent",
        "ma langue gonfle",
        "j'ai le visage qui gonfle et des plaques partout",
        "j'ai des plaques rouges partout qui grattent et la gorge qui serre",
        "ma gorge gonfle",
        "j'ai de l'urticaire sur tout le corps",
        "mes yeux et ma bouche gonflent",
    ],
    "thorax": [
        "j'ai mal à la poitrine",
        "j'ai une douleur dans la poitrine qui serre",
        "ça serre dans la poitrine et ça descend dans le bras",
        "j'ai une douleur thoracique",
        "mon cœur bat très vite et j'ai mal à la poitrine",
        "j'ai des palpitations et une oppression",
    ],
    "detresse": [
        "j'ai envie d'en finir",
        "je ne veux plus vivre",
        "je pense à me suicider",
        "j'ai envie de mourir",
        "je n'en peux plus, je veux que tout s'arrête",
        "je vais faire une bêtise",
        "j'ai pris toutes mes pilules",
        "je pense à me faire du mal",
        "la vie n'a plus de sens, je veux disparaître",
        "j'ai des idées noires et je ne me sens pas en sécurité",
    ],
    "fievre": [
        "j'ai de la fièvre",
        "j'ai 39",
        "j'ai 39,5 de fièvre",
        "j'ai 40 de température",
        "j'ai des frissons et de la fièvre",
        "je suis brûlant et je tremble",
        "j'ai 38,8 et des frissons",
        "je fais de la température",
        "le thermomètre indique 39,2",
        "je grelotte avec une forte fièvre",
    ],
    "saignement": [
        "je saigne beaucoup",
        "je saigne",
        "ça saigne et ça ne s'arrête pas",
        "ça n'arrête pas de saigner",
        "il y a du sang dans mes selles",
        "je perds du sang",
        "j'ai une hémorragie",
        "le pansement est plein de sang",
        "ça ne s'arrête pas de couler",
        "le sang coule sans arrêt",
        "je remplis des protections de sang",
        "du sang rouge coule quand je vais aux toilettes",
        "les draps sont tachés de sang",
    ],
    "douleur": [
        "j'ai une douleur insupportable",
        "j'ai très très mal",
        "la douleur est à 10 sur 10",
        "j'ai mal comme jamais",
        "la douleur empire d'heure en heure",
        "j'ai de plus en plus mal",
        "la douleur devient intenable",
        "j'ai tellement mal que je ne peux plus marcher",
        "j'ai une douleur atroce au ventre",
        "même la morphine ne calme pas la douleur",
        "ça fait un mal de chien et ça augmente",
        "j'ai des douleurs horribles qui me réveillent",
        "je me tords de douleur",
    ],
    "faiblesse": [
        "j'ai les jambes qui ne me portent plus",
        "je n'ai plus de force dans les bras",
        "mes muscles lâchent",
        "je n'arrive plus à tenir ma tête",
        "j'ai une grande faiblesse dans tout le corps",
        "mes jambes sont molles, je ne tiens plus debout",
        "je ne peux plus lever les bras",
    ],
    "urine": [
        "je n'arrive pas à uriner",
        "je n'arrive plus à faire pipi",
        "je n'ai pas uriné depuis ce matin",
        "j'ai envie d'uriner mais rien ne sort",
        "ma vessie est pleine et ça ne vient pas",
        "je ne peux plus uriner",
        "impossible de faire pipi malgré l'envie",
        "je n'urine qu'au goutte à goutte et j'ai mal au ventre",
    ],
    "incontinence": [
        "je ne contrôle plus mes selles",
        "j'ai des fuites de selles",
        "je n'arrive plus à me retenir",
        "j'ai fait dans ma culotte sans m'en rendre compte",
        "je perds mes urines sans m'en apercevoir",
        "j'ai des fuites que je ne contrôle pas",
        "je ne sens plus quand je dois aller aux toilettes",
    ],
    "chute": [
        "je suis tombée et je n'arrive pas à me relever",
        "je suis tombé dans l'escalier, je ne peux pas me lever",
        "je suis par terre et je ne peux pas me relever",
        "je suis tombé, je suis seul et j'ai très mal",
        "j'ai chuté et ma tête a cogné",
    ],
    "infection": [
        "le point d'injection est rouge, chaud et gonflé",
        "il y a du pus qui coule",
        "ça suinte et ça sent mauvais",
        "j'ai un abcès qui grossit",
        "la zone est rouge, dure et de plus en plus douloureuse",
        "ça gonfle et c'est brûlant au toucher",
    ],
    "malaise": [
        "je me sens très mal",
        "j'ai des sueurs froides et je suis tout pâle",
        "je vomis sans arrêt",
        "je ne fais que vomir",
        "je vomis tout ce que je bois",
        "j'ai la tête qui tourne et je vomis",
        "je suis confus, je ne sais plus où je suis",
    ],
}

# The same red flags told by a carer: "{who} {phrase}".
URGENT_3P: list[str] = [
    "a du mal à avaler",
    "n'arrive plus à avaler",
    "s'étouffe en mangeant",
    "respire très mal",
    "a du mal à respirer",
    "a les lèvres bleues",
    "parle bizarrement",
    "n'arrive plus à articuler",
    "a la bouche de travers",
    "voit double",
    "a une paupière qui tombe",
    "s'est évanoui",
    "a perdu connaissance",
    "a fait un malaise",
    "est tout pâle et ne répond plus bien",
    "a 39 de fièvre",
    "a 40",
    "a de la fièvre et des frissons",
    "saigne beaucoup",
    "n'arrête pas de saigner",
    "perd du sang",
    "a une douleur insupportable",
    "hurle de douleur",
    "n'arrive pas à uriner",
    "n'a pas uriné depuis ce matin",
    "ne contrôle plus ses selles",
    "est tombé et n'arrive pas à se relever",
    "est tombée et ne peut pas se relever",
    "a le visage qui gonfle",
    "a mal à la poitrine",
    "ne tient plus debout",
    "n'a plus de force dans les jambes",
    "est confus et ne me reconnaît plus",
    "vomit sans arrêt",
    "dit qu'elle veut en finir",
    "a le point d'injection rouge et plein de pus",
]
CARERS = [
    "ma femme",
    "mon mari",
    "ma mère",
    "mon père",
    "ma fille",
    "mon fils",
    "mon compagnon",
    "ma compagne",
    "ma maman",
    "mon papa",
    "mon conjoint",
    "la patiente",
    "le patient",
    "ma grand-mère",
    "mon frère",
]
CARER_TAILS = [
    "",
    ", elle a eu l'injection lundi",
    ", il a eu le botox hier",
    " depuis l'injection",
    ", il a été piqué chez vous cette semaine",
    ", je vous écris pour elle",
    ", je suis son aidant",
    ", que faire ?",
    ", il est suivi chez vous",
]

NOW = [
    "",
    "",
    " depuis ce matin",
    " depuis hier soir",
    " depuis 1 h",
    " depuis 2h",
    " depuis une heure",
    " depuis tout à l'heure",
    " depuis l'injection",
    " d'un coup",
    " ce soir",
    " maintenant",
    " depuis 10 min",
    " depuis cette nuit",
    " depuis midi",
    " de plus en plus",
    " et ça empire",
]

OPENERS = [
    "",
    "",
    "",
    "Bonjour, ",
    "bonjour ",
    "bjr ",
    "Bonsoir, ",
    "Docteur, ",
    "Excusez-moi de vous déranger, ",
    "allo ",
    "Madame, Monsieur, ",
    "salut ",
    "Bonjour c'est Mme Martin, ",
    "S'il vous plaît ",
]
# Only urgent messages open with the word itself; calm ones use it in their own words
# ("urgent : j'ai perdu mon ordonnance").
URGENT_OPENERS = [*OPENERS, "urgent ", "URGENT ", "au secours "]
URGENT_TAILS = [
    "",
    "",
    "",
    " aidez moi",
    " que dois-je faire ?",
    " c'est normal ?",
    " je suis inquiète",
    " svp",
    " !!",
    " je fais quoi",
    " merci de me répondre vite",
    " j'ai peur",
    " est-ce que je dois aller aux urgences ?",
    " c'est grave ?",
    " je panique",
]
PLAYED_DOWN = [
    "sûrement rien mais ",
    "je ne veux pas vous embêter mais ",
    "c'est peut-être idiot mais ",
    "pas sûr que ce soit grave mais ",
    "ça doit être rien mais ",
    "je dramatise peut-être mais ",
    "désolé de déranger pour si peu mais ",
]

# An everyday question before a red flag: the symptom is buried in a longer message.
STORY_PREFIXES = [
    "Bonjour, je voulais savoir si je peux prendre une douche après l'injection. ",
    "Merci pour votre accueil lundi, tout s'est bien passé sur place. ",
    "Je me permets de vous écrire car mon médecin traitant est en congé. ",
    "J'ai eu l'injection il y a quatre jours, les premiers jours étaient plutôt calmes. ",
    "Je ne sais pas trop à qui m'adresser, j'ai essayé le standard. ",
    "Question pour le rendez-vous de contrôle : c'est bien dans trois mois ? Sinon ",
    "Je suis rentrée chez moi hier après le botox, le trajet s'est bien passé. ",
    "Petite question sur le parking de l'hôpital, et aussi ",
    "Je reviens vers vous après ma séance de kiné de ce matin. ",
    "Je sais que vous êtes très occupés et je m'excuse de vous écrire un dimanche. ",
]
STORY_SUFFIXES = [
    "",
    " Je ne sais pas si c'est lié.",
    " Est-ce que je peux quand même aller travailler demain ?",
    " Merci d'avance.",
    " Je préfère vous prévenir.",
    " Au passage, faut-il garder le pansement ?",
]

ENGLISH_URGENT = [
    "I can't breathe",
    "I can't swallow",
    "I'm having trouble swallowing since this morning",
    "im short of breath and its getting worse",
    "my speech is slurred",
    "I see double since last night",
    "my eyelid is drooping",
    "I passed out",
    "I fainted in the bathroom",
    "my throat is swelling",
    "my lips are swelling up",
    "chest pain for an hour",
    "I have a fever of 39",
    "I've got a high fever and chills",
    "I'm bleeding a lot",
    "the bleeding won't stop",
    "there is blood in my stool",
    "the pain is unbearable",
    "I'm in terrible pain and it keeps getting worse",
    "I can't pee since this morning",
    "I cannot urinate",
    "I can't control my bowels anymore",
    "I fell and I can't get up",
    "my legs are so weak I can't stand",
    "I want to kill myself",
    "I don't want to live anymore",
    "my wife can't breathe properly",
    "my husband is confused and very pale",
    "please call me back now",
    "I need to talk to someone urgently",
    "nobody answers the phone",
    "the injection site is red hot and full of pus",
    "I keep vomiting and can't keep water down",
    "I feel like I'm going to faint",
    "my vision is blurry all of a sudden",
    "help me please",
    "it's an emergency",
    "I'm choking when I drink",
    "I can barely talk",
    "my mother fainted after her injection",
]

HUMAN_REQUESTS = [
    "rappelez-moi svp",
    "pouvez-vous me rappeler au plus vite",
    "qq1 peut m'appeler ?",
    "quelqu'un peut me téléphoner maintenant ?",
    "je veux parler à quelqu'un tout de suite",
    "j'ai besoin de parler à une infirmière maintenant",
    "personne ne répond au téléphone",
    "la ligne est toujours occupée",
    "je n'arrive pas à vous joindre",
    "j'ai appelé cinq fois, ça sonne dans le vide",
    "appelez moi c'est urgent",
    "rapelez moi urgent",
    "merci de me rappeler dès que possible",
    "est-ce qu'un médecin peut me rappeler ce soir ?",
    "j'ai besoin d'un humain pas d'un robot",
    "je voudrais qu'un docteur m'appelle, c'est pressé",
    "c'est urgent, rappelez moi",
    "vous pouvez m'appeler au 06 12 34 56 78 ?",
    "je tombe toujours sur le répondeur",
    "le numéro ne répond pas et j'ai besoin d'aide",
]

# --- not urgent ---------------------------------------------------------------------------

RISKS = [
    "des troubles pour avaler",
    "du mal à avaler",
    "de la fièvre",
    "un saignement",
    "des saignements",
    "une rétention urinaire",
    "des fuites urinaires",
    "une incontinence",
    "une vision double",
    "une paupière qui tombe",
    "une faiblesse musculaire",
    "une réaction allergique",
    "des difficultés à respirer",
    "des troubles de la parole",
    "une infection",
    "des douleurs fortes",
    "un malaise",
    "une chute de tension",
    "de la constipation",
    "des hématomes",
]
QUESTIONS_ABOUT_RISK = [
    "est-ce que le botox peut donner {r} ?",
    "le botox peut-il provoquer {r} ?",
    "quels sont les risques, par exemple {r} ?",
    "y a-t-il un risque d'avoir {r} après l'injection ?",
    "est-il fréquent d'avoir {r} après ce traitement ?",
    "j'ai lu que l'injection pouvait causer {r}, c'est vrai ?",
    "que faut-il faire en cas de {r} ?",
    "combien de patients ont {r} après l'injection ?",
    "à partir de quand {r} doit inquiéter ?",
    "est-ce que {r} fait partie des effets secondaires ?",
    "quels signes doivent m'alerter ? {r} ?",
    "c'est rare {r} après le botox ?",
    "le médecin m'a parlé d'un risque de {r}, c'est courant ?",
]
HYPOTHETICALS = [
    "et si j'avais du mal à avaler, ce serait grave ?",
    "si jamais je saigne, j'appelle qui ?",
    "au cas où j'aurais de la fièvre, je fais quoi ?",
    "dans quels cas faut-il appeler le 15 ?",
    "si je n'arrive pas à uriner après l'injection, que dois-je faire ?",
    "à partir de quelle température faut-il s'inquiéter ?",
    "si je vois double, c'est urgent ?",
    "et si je fais un malaise à la maison ?",
    "imaginons que j'aie une réaction allergique, vous êtes joignables la nuit ?",
    "au cas où je perdrais du sang, faut-il aller aux urgences ?",
    "si j'ai mal après, je peux prendre du doliprane ?",
    "en cas de fièvre, je prends quoi ?",
    "que faire si le point d'injection devient rouge ?",
    "si je tombe, est-ce que ça peut abîmer l'injection ?",
    "et si la douleur revient plus forte ?",
    "au cas où je n'arrive pas à vous joindre, j'appelle qui ?",
    "à partir de combien de degrés je dois appeler ?",
    "si je m'étouffe en mangeant, je dois aller où ?",
    "si mes paupières tombent, c'est le botox ?",
    "est-ce que je risque de ne plus pouvoir me retenir ?",
    "si jamais j'ai des fuites, c'est normal ?",
    "le jour où j'aurai du mal à respirer, que faire ?",
    "pour être sûre : si j'ai 38,5, je dois vous appeler ?",
    "s'il y a du sang dans les selles, c'est grave ?",
    "if I get a fever after the injection, what should I do?",
    "what if I have trouble swallowing?",
    "is it possible to get blurred vision from botox?",
    "what are the warning signs I should watch for?",
]
PAST_EVENTS = [
    "j'ai eu un peu de sang le premier soir",
    "j'ai saigné un peu",
    "j'avais de la fièvre hier",
    "j'ai eu 38 le lendemain de l'injection",
    "j'ai eu du mal à uriner le premier jour",
    "j'ai eu un petit malaise à la sortie",
    "j'ai eu des frissons samedi",
    "j'avais la vue un peu trouble lundi",
    "j'ai eu très mal les deux premiers jours",
    "j'ai eu une petite fuite le premier jour",
    "j'ai eu des nausées dimanche",
    "j'ai fait une fausse route mardi",
    "j'ai eu la tête qui tourne en me levant hier",
]
RESOLVED = [
    ", plus rien depuis",
    " mais c'est fini",
    " mais c'est passé",
    ", tout est rentré dans l'ordre",
    " mais ça va beaucoup mieux maintenant",
    ", depuis tout va bien",
    " mais ça s'est arrêté tout seul",
    ", aujourd'hui plus aucun souci",
    " mais c'est terminé depuis hier",
    ", je voulais juste vous le signaler, ça va",
]
NEGATED = [
    "pas de fièvre, pas de saignement, tout va bien",
    "je n'ai aucun mal à avaler",
    "aucune difficulté pour uriner",
    "je ne saigne plus du tout",
    "je n'ai pas de fièvre",
    "pas de douleur particulière",
    "je respire normalement, aucun souci",
    "ni fièvre ni frissons",
    "pas de sang, pas de pus, rien d'anormal",
    "je vois bien, je parle bien, j'avale bien",
    "aucun effet secondaire pour l'instant",
    "rien de grave, je n'ai pas de température",
    "je n'ai ressenti aucune faiblesse",
    "pas de problème pour aller aux toilettes",
    "tout va bien, aucun signe inquiétant",
    "la cicatrice n'est ni rouge ni gonflée",
    "pas de malaise, pas de vertiges",
    "je n'ai plus du tout mal",
]
OTHER_PEOPLE = [
    "ma voisine a eu du mal à avaler après son botox il y a trois ans",
    "j'ai lu sur un forum qu'une patiente avait fait une rétention",
    "ma sœur avait fait une hémorragie après une opération en 2015",
    "un ami m'a dit qu'il avait eu de la fièvre après une injection",
    "dans un reportage, un homme avait perdu connaissance après un botox esthétique",
    "ma cousine a eu une paralysie faciale il y a longtemps",
    "mon oncle est tombé dans l'escalier l'an dernier, il va bien",
    "une dame dans la salle d'attente racontait qu'elle avait vu double pendant un mois",
    "ma mère a eu une allergie grave à la pénicilline quand j'étais petit",
    "sur internet certains disent qu'ils n'arrivaient plus à avaler",
    "mon collègue a fait un malaise au travail la semaine dernière, rien à voir avec moi",
    "le fils de ma voisine s'est évanoui au concert",
    "ma grand-mère avait des fuites urinaires à la fin de sa vie",
    "le patient avant moi saignait du nez dans la salle d'attente",
    "mon chien a vomi toute la nuit",
    "mon chat ne mange plus depuis deux jours",
]
OTHER_TAILS = [
    "",
    ", est-ce que ça peut m'arriver ?",
    ", ça m'inquiète un peu pour moi",
    ", c'est fréquent ?",
    ", moi tout va bien pour l'instant",
    ", je me demandais si c'était le même produit",
]
IDIOMS = [
    "j'ai cru m'évanouir en voyant l'addition",
    "il va me rendre fou",
    "dur à avaler, cette nouvelle",
    "j'en ai eu le souffle coupé tellement c'était beau",
    "je suis mort de rire",
    "je meurs de faim",
    "je suis morte de fatigue après ma journée",
    "ce bouchon sur le périph me tue",
    "ça me fait mal au cœur de rater le match",
    "j'ai les yeux plus gros que le ventre",
    "j'ai failli tomber de ma chaise en lisant la facture",
    "mon fils me fait tourner en bourrique",
    "je n'arrive pas à avaler que le rendez-vous soit encore décalé",
    "j'ai un chat dans la gorge ce matin",
    "il pleut des cordes, je suis trempé jusqu'aux os",
    "j'ai le cœur qui bat la chamade avant le rendez-vous, c'est le stress",
    "mon patron me saigne à blanc",
    "ma belle-mère me donne des boutons",
    "c'est à s'arracher les cheveux, ces formulaires",
    "je suis tombée des nues en apprenant la date",
    "on étouffe dans ce train",
    "ma carte vitale m'a lâchée",
    "je suis malade d'avoir raté ce bus",
    "ce film m'a glacé le sang",
    "j'ai la tête qui va exploser avec tous ces papiers",
    "mes enfants me pompent l'air",
    "je vois rouge quand on me fait attendre",
    "ça me reste en travers de la gorge",
    "je suis à bout de souffle après le marathon de courses de Noël",
    "il fait une chaleur à crever",
    "mon téléphone est mort",
    "ma voiture a rendu l'âme",
    "j'ai failli faire une crise cardiaque en voyant le prix du parking",
    "I almost died laughing",
    "this traffic is killing me",
]
CHRONIC = [
    "douleur 8/10 comme d'habitude",
    "toujours la même douleur qu'avant l'injection, ni plus ni moins",
    "mes douleurs habituelles sont là, rien de nouveau",
    "j'ai mal comme d'habitude quand je m'assois longtemps",
    "ma douleur chronique est stable",
    "toujours mes douleurs anales de fond, comme avant",
    "la douleur est à 6, comme tous les jours depuis des années",
    "je souffre toujours autant qu'avant le botox, c'est décevant",
    "pas d'amélioration pour l'instant, les douleurs sont les mêmes",
    "la douleur habituelle, celle pour laquelle je viens",
    "j'ai encore mal, pareil que le mois dernier",
    "c'est toujours douloureux le soir, comme avant le traitement",
]
TRIVIAL = [
    "j'ai avalé de travers en buvant mon café, ça va mieux",
    "je vois flou sans mes lunettes",
    "une petite goutte de sang sur le pansement",
    "je me suis cogné le coude contre la porte",
    "petite coupure au doigt en cuisinant",
    "j'ai le hoquet depuis dix minutes",
    "j'ai un peu mal à la tête après une nuit courte",
    "je me suis tordu la cheville en descendant du bus, rien de grave",
    "j'ai éternué plusieurs fois ce matin",
    "j'ai une piqûre de moustique qui gratte",
    "j'ai saigné du nez en me mouchant, c'est déjà arrêté",
    "j'ai trébuché sur le tapis mais je ne me suis pas fait mal",
    "j'ai eu un petit vertige en me levant trop vite, ça a duré deux secondes",
    "j'ai une aphte qui me gêne pour manger",
    "je suis un peu enrhumé",
    "j'ai mal aux pieds après la marche",
    "mes yeux piquent à cause du pollen",
    "j'ai une petite toux",
    "j'ai la gorge qui gratte un peu",
    "j'ai fait tomber mon téléphone dans l'eau, c'est urgent ?",
    "urgent : j'ai perdu mon ordonnance",
    "c'est urgent, je dois décaler mon rendez-vous",
    "j'ai une ampoule au pied",
    "j'ai les lèvres gercées",
]
CONCERNS = [
    "j'ai un peu mal au point d'injection, c'est normal ?",
    "j'ai un petit bleu là où on m'a piqué",
    "j'ai un peu de diarrhée depuis hier",
    "je me sens fatiguée depuis l'injection",
    "légère gêne en m'asseyant",
    "j'ai mal depuis l'injection, c'est normal ?",
    "je suis un peu constipé",
    "j'ai des ballonnements",
    "j'ai une petite douleur supportable",
    "ça tire un peu quand je marche",
    "j'ai mal à la tête depuis hier",
    "un peu de nausée ce matin mais ça passe",
    "j'ai un hématome qui jaunit",
    "ça me brûle un peu en allant aux toilettes",
    "je suis un peu barbouillé",
]
EVERYDAY = [
    "à quelle heure est mon rendez-vous ?",
    "où puis-je me garer à l'hôpital ?",
    "combien de temps dure l'effet du botox ?",
    "est-ce que je peux faire du sport après l'injection ?",
    "faut-il être à jeun ?",
    "je peux prendre un bain ?",
    "est-ce que je peux conduire pour rentrer ?",
    "combien coûte l'injection, c'est remboursé ?",
    "quand aura lieu la prochaine injection ?",
    "dois-je arrêter mes médicaments avant ?",
    "merci beaucoup pour tout",
    "tout va bien merci",
    "ok super",
    "bonne journée",
    "je confirme ma présence demain",
    "est-ce que je peux venir accompagné ?",
    "je suis en retard de dix minutes",
    "quel est le numéro du secrétariat ?",
    "le botox agit au bout de combien de jours ?",
    "est-ce que je peux boire de l'alcool ?",
    "puis-je reprendre le travail lundi ?",
    "je peux avoir un arrêt de travail ?",
    "il faut apporter quels papiers ?",
    "je peux manger normalement après ?",
    "c'est fait sous anesthésie ?",
    "les médicaments ne me soulagent plus, faut-il avancer l'injection ?",
    "j'ai toujours mal, est-ce que le botox va marcher ?",
    "l'injection fait mal ?",
    "ça saigne beaucoup pendant l'injection ?",
    "je voudrais changer la date de mon rendez-vous",
    "qui dois-je appeler pour une question administrative ?",
    "est-ce qu'on peut refaire l'injection si ça ne marche pas ?",
    "can I drive after the injection?",
    "how long does the effect last?",
    "thank you very much",
    "what time is my appointment?",
]

# Calm messages built from parts: logistics, good news, resolved or absent symptoms, "je
# n'arrive pas à" about things that are not the body, tiredness and moods said in passing.
LOGISTICS_FRAMES = [
    "est-ce que je peux {a} ?",
    "je peux {a} après l'injection ?",
    "puis-je {a} le soir même ?",
    "quand est-ce que je pourrai {a} ?",
    "c'est possible de {a} ?",
    "faut-il attendre pour {a} ?",
    "can I {en} after the injection?",
]
LOGISTICS_ACTS = [
    ("prendre une douche", "shower"),
    ("prendre un bain", "take a bath"),
    ("conduire", "drive"),
    ("reprendre le sport", "exercise"),
    ("nager", "swim"),
    ("faire du vélo", "ride a bike"),
    ("reprendre le travail", "go back to work"),
    ("prendre l'avion", "fly"),
    ("boire un verre de vin", "have a glass of wine"),
    ("manger normalement", "eat normally"),
    ("prendre mon traitement habituel", "take my usual medication"),
    ("avoir des rapports", "have sex"),
    ("porter un jean serré", "wear tight jeans"),
    ("m'asseoir longtemps", "sit for long"),
    ("faire du yoga", "do yoga"),
    ("partir en vacances", "go on holiday"),
    ("me faire vacciner", "get vaccinated"),
    ("donner mon sang", "give blood"),
    ("venir avec mon enfant", "bring my child"),
    ("garder mes bijoux", "keep my jewellery on"),
]
CANT_DO_OBJECTS = [
    "retrouver le plan d'accès",
    "cliquer sur le bouton du message",
    "créer mon compte patient",
    "remplir le questionnaire en ligne",
    "lire l'écriture sur l'ordonnance",
    "joindre ma mutuelle",
    "trouver une place de parking",
    "retrouver le mail de confirmation",
    "télécharger le compte rendu",
    "imprimer la convocation",
    "venir jeudi",
    "me libérer avant 10h",
    "trouver un taxi",
    "décider si je refais l'injection",
    "attendre le résultat, j'ai hâte",
    "choisir entre les deux dates",
]
CANT_DO_FRAMES = [
    "je n'arrive pas à {o}",
    "j'arrive pas à {o}",
    "impossible de {o}",
    "je ne peux pas {o}",
]
GOOD_SYMPTOMS = [
    "fièvre",
    "douleur",
    "saignement",
    "sang",
    "fuite",
    "frissons",
    "rougeur",
    "gonflement",
    "nausées",
    "vertiges",
    "mal",
]
GOOD_FRAMES = [
    "{s} : rien depuis {d}",
    "aucune {s} depuis {d}",
    "zéro {s} depuis {d}",
    "toujours aucune {s}, ça va",
    "aucune {s} à signaler",
    "je n'ai eu aucune {s} depuis {d}",
    "la {s} est partie depuis {d}",
    "je n'ai constaté aucune {s}",
    "ni {s} ni rien, ça va",
    "côté {s}, rien du tout",
]
DAYS = ["hier", "samedi", "ce matin", "deux jours", "l'injection", "mardi", "la semaine dernière"]
GOOD_NEWS = [
    "je me sens nettement mieux",
    "je retrouve le moral",
    "nuit complète sans me réveiller, une première",
    "tout se passe bien de mon côté",
    "je suis ravi du résultat",
    "je me promène sans gêne",
    "ma respiration est tout à fait normale",
    "pipi normal, selles normales",
    "le transit est revenu à la normale",
    "je mange et je bois sans aucune gêne",
    "ma vue est comme d'habitude",
    "ma voix est normale",
    "la douleur a bien diminué",
    "c'est le jour et la nuit, merci",
    "merci pour votre gentillesse",
    "fatiguée par le trajet mais rassurée",
    "j'ai pris un paracétamol hier soir, plus besoin depuis",
    "vivement que l'effet arrive",
    "ça va de mieux en mieux",
    "everything is fine, thank you",
    "all good on my side",
    "feeling much better today",
]
MOODS = [
    "je suis lessivé après ma journée",
    "je suis un peu stressée avant jeudi",
    "j'ai le trac pour l'injection",
    "les bouchons ce matin, quelle horreur",
    "j'ai envie d'un bon chocolat chaud",
    "je suis impatiente de voir l'effet",
    "je suis fatiguée de ces démarches administratives",
    "question pas pressée : le parking est-il payant ?",
    "rien de pressé, c'était pour connaître l'horaire",
    "rien d'urgent, je voulais juste vous remercier",
    "inutile de m'appeler, je vais très bien",
    "l'infirmière m'a téléphoné, j'ai eu mes réponses",
    "je passerai un coup de fil au secrétariat lundi",
    "merci d'avoir pris le temps de m'appeler",
    "je m'appelle Paul, je viens pour l'injection de lundi",
    "j'ai ce syndrome depuis des années",
    "mes douleurs durent depuis longtemps, d'où l'injection",
    "l'ostéopathe n'a rien changé, alors j'essaie le botox",
]


def composed(rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, group, text) for calm messages built from the parts above."""
    out: list[tuple[str, str, str]] = []
    for fr, en in LOGISTICS_ACTS:
        for frame in rng.sample(LOGISTICS_FRAMES, 4):
            out.append(("everyday", fr, frame.format(a=fr, en=en)))
    for obj in CANT_DO_OBJECTS:
        for frame in rng.sample(CANT_DO_FRAMES, 3):
            out.append(("everyday", obj, frame.format(o=obj)))
    for sym in GOOD_SYMPTOMS:
        for frame in rng.sample(GOOD_FRAMES, 6):
            out.append(("negation", sym, frame.format(s=sym, d=rng.choice(DAYS))))
    for text in GOOD_NEWS + MOODS:
        for tail in rng.sample(["", "", " !", " merci", " 🙂", ", bonne journée"], 3):
            out.append(("everyday", text, text + tail))
    return out


# --- augmentations ------------------------------------------------------------------------

SMS_SUBS = [
    (r"\bje suis\b", "chui"),
    (r"\bj'ai\b", "jai"),
    (r"\bc'est\b", "c"),
    (r"\bquelqu'un\b", "qq1"),
    (r"\bbeaucoup\b", "bcp"),
    (r"\bpas\b", "pa"),
    (r"\bquelque chose\b", "qqch"),
    (r"\bmaintenant\b", "mtn"),
    (r"\bje n'arrive\b", "jarrive"),
    (r"\bje ne peux\b", "jpeux"),
    (r"\bs'il vous plaît\b", "svp"),
    (r"\bqu'est-ce que\b", "keske"),
    (r"\best-ce que\b", "esk"),
    (r"\bdepuis\b", "dpuis"),
    (r"\btrès\b", "tré"),
]


def strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    ).replace("œ", "oe")


def dictate(text: str) -> str:
    """Voice dictation: no punctuation, no capitals."""
    return re.sub(r"\s+", " ", re.sub(r"[.,;:!?]", " ", text.replace("'", " "))).strip().lower()


def sms(text: str, rng: random.Random) -> str:
    out = text.lower()
    for pattern, rep in SMS_SUBS:
        if rng.random() < 0.7:
            out = re.sub(pattern, rep, out)
    return strip_accents(out)


def typo(text: str, rng: random.Random) -> str:
    """One typo in one word of 5 letters or more: a letter dropped, doubled or swapped."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.randrange(3)
    if op == 0:
        w = w[:j] + w[j + 1 :]
    elif op == 1:
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def augment(text: str, rng: random.Random) -> tuple[str, str]:
    """A random style for one message; both labels get the same mix."""
    r = rng.random()
    if r < 0.40:
        return text, "plain"
    if r < 0.55:
        return strip_accents(text.lower()), "noaccent"
    if r < 0.70:
        return sms(text, rng), "sms"
    if r < 0.85:
        return dictate(text), "dictation"
    return typo(text, rng), "typo"


def cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# --- generation ---------------------------------------------------------------------------


Row = tuple[int, str, str, str]  # label, kind, group (the source sentence), text


def urgent(rng: random.Random) -> list[Row]:
    out: list[Row] = []
    phrases = [p for ps in URGENT_1P.values() for p in ps]
    for phrase in phrases:
        for _ in range(7):
            text = rng.choice(URGENT_OPENERS) + phrase + rng.choice(NOW) + rng.choice(URGENT_TAILS)
            out.append((1, "report", phrase, text))
        played = cap(rng.choice(PLAYED_DOWN)) + phrase + rng.choice(NOW)
        out.append((1, "played_down", phrase, played))
        story = rng.choice(STORY_PREFIXES) + cap(phrase) + rng.choice(NOW) + "."
        out.append((1, "long", phrase, story + rng.choice(STORY_SUFFIXES)))
    for phrase in URGENT_3P:
        for _ in range(6):
            who = rng.choice(CARERS)
            text = rng.choice(OPENERS) + who + " " + phrase + rng.choice(NOW)
            out.append((1, "carer", phrase, text + rng.choice(CARER_TAILS)))
    for phrase in ENGLISH_URGENT:
        for tail in ("", " since this morning", ", please help", ", what should I do?"):
            out.append((1, "english", phrase, phrase + tail))
    for phrase in HUMAN_REQUESTS:
        for _ in range(4):
            text = rng.choice(URGENT_OPENERS) + phrase + rng.choice(["", " svp", " !"])
            out.append((1, "human", phrase, text))
    return out


def calm(rng: random.Random) -> list[Row]:
    out: list[Row] = []

    def repeat(kind: str, items: list[str], n: int, tails: list[str]) -> None:
        for text in items:
            for _ in range(n):
                out.append((0, kind, text, rng.choice(OPENERS) + text + rng.choice(tails)))

    for risk in RISKS:
        for template in rng.sample(QUESTIONS_ABOUT_RISK, 9):
            out.append((0, "faq", risk, rng.choice(OPENERS) + template.format(r=risk)))
    repeat("hypothetical", HYPOTHETICALS, 6, ["", "", " merci", " je préfère savoir"])
    for event in PAST_EVENTS:
        for ending in rng.sample(RESOLVED, 8):
            out.append((0, "past", event, rng.choice(OPENERS) + event + ending))
    repeat("negation", NEGATED, 6, ["", ", merci", ". Bonne journée"])
    for text in OTHER_PEOPLE:
        for ending in rng.sample(OTHER_TAILS, 5):
            out.append((0, "other", text, rng.choice(OPENERS) + text + ending))
    repeat("idiom", IDIOMS, 5, ["", " 😂", " !", " lol", " haha"])
    repeat("chronic", CHRONIC, 7, ["", ".", ", merci", ", rien de neuf"])
    repeat("trivial", TRIVIAL, 7, ["", ".", ", rien de grave", " 😅"])
    repeat("concern", CONCERNS, 6, ["", "", " merci"])
    repeat("everyday", EVERYDAY, 7, ["", "", " merci", " svp"])
    for kind, group, text in composed(rng):
        out.append((0, kind, group, rng.choice(OPENERS) + text))
    # Long calm stories: the same prefixes as the urgent ones, so length tells nothing.
    calm_bodies = NEGATED + CHRONIC + TRIVIAL + CONCERNS + EVERYDAY + HYPOTHETICALS
    for _ in range(400):
        body = rng.choice(calm_bodies)
        story = rng.choice(STORY_PREFIXES) + cap(body) + "."
        out.append((0, "long", body, story + rng.choice(STORY_SUFFIXES)))
    # A carer's relative had something, now resolved.
    for _ in range(150):
        who = rng.choice(CARERS)
        event = rng.choice(
            [
                "a eu un peu de fièvre hier",
                "a un peu saigné le premier soir",
                "a eu un malaise",
                "a eu du mal à avaler au début",
                "avait des fuites le premier jour",
            ]
        )
        out.append((0, "past", event, f"{who} {event}{rng.choice(RESOLVED)}"))
    return out


def handwritten() -> list[Row]:
    out: list[Row] = []
    for line in HANDWRITTEN.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, _style, text = line.split("\t", 2)
        out.append((int(label), "hand", text, text))
    return out


def build(seed: int = 10) -> list[Row]:
    rng = random.Random(seed)
    rows: list[Row] = []
    for label, kind, group, text in urgent(rng) + calm(rng) + handwritten():
        styled, style = augment(text.strip(), rng) if kind != "hand" else (text, "as_written")
        rows.append((label, f"{kind}/{style}", group, styled))
    # A few hand-written messages again in another style.
    for label, _kind, group, text in handwritten():
        styled, style = augment(text, rng)
        rows.append((label, f"hand/{style}", group, styled))
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row[3] not in seen:
            seen.add(row[3])
            unique.append(row)
    return unique


def group_id(group: str) -> str:
    """Messages generated from one source sentence share a group: cross-validation keeps a
    group on one side, so no variant of a test sentence is ever trained on."""
    return f"{zlib.crc32(group.encode('utf-8')):08x}"


def main() -> int:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        f.write("# python -m bench.triage_corpus; label<TAB>kind/style<TAB>group<TAB>text\n")
        for label, style, group, text in rows:
            f.write(f"{label}\t{style}\t{group_id(group)}\t{text}\n")
    labels = Counter(r[0] for r in rows)
    kinds = Counter((r[0], r[1].split("/")[0]) for r in rows)
    print(f"{len(rows)} messages: {labels[1]} urgent, {labels[0]} not urgent -> {OUT}")
    for (label, kind), n in sorted(kinds.items()):
        print(f"  {label} {kind}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
