"""The safety net (issue 10): a learned classifier asked when the rules found nothing and the
bot had nothing it understood to say; its alerts reach staff marked "à vérifier"."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import texts
from bot.config import PROJECT_ROOT
from bot.content import Content
from bot.session import alert_kind
from bot.storage import AlertKind
from bot.triage import load_triage
from bot.triage.net import WEIGHTS_PATH, load_net, save_net
from bot.yamlfile import ContentError
from tests.conftest import HOTLINE, PATIENT, STAFF_CHAT, RunningBot
from tests.fakes.bot_api import FakeBotAPI

# Wordings the rules do not know; the net does (they are in its training corpus: this table
# checks the wiring, bench/triage_net.py measures how the net generalises).
NET_ONLY = [
    "mes jambes se dérobent sous moi",
    "ma mère est toute bizarre depuis midi, elle ne me reconnaît plus",
]
RULES = [
    ("je saigne beaucoup depuis ce matin", "saignement"),
    ("ça n'arrête pas de saigner", "saignement"),
]
# Calm messages: negated or resolved symptoms the rules recognise (the net is not asked),
# and everyday questions the net must leave alone.
CALM = [
    "je n'ai plus de fièvre depuis hier",
    "il n'y a plus de sang",
    "j'avais saigné un peu mais c'est fini",
    "quand puis-je reprendre le vélo ?",
    "merci pour tout, bonne soirée",
    "je n'arrive pas à imprimer la convocation",
]


@pytest.mark.parametrize("text", NET_ONLY)
def test_net_catches_what_the_rules_miss(content: Content, text: str) -> None:
    conv = content.conversation
    assert conv.triage.analyse(text).alert is None, "the rules catch it: not a net case"
    reply = conv.respond(text)
    assert reply.kind == "urgent"
    assert reply.triage is not None and reply.triage.net_only
    assert alert_kind(reply.triage) is AlertKind.CHECK
    assert reply.text == texts.with_hotline(texts.NET_CHECK_REPLY, conv.hotline)


@pytest.mark.parametrize(("text", "category"), RULES)
def test_rules_alerts_are_not_net_alerts(content: Content, text: str, category: str) -> None:
    reply = content.conversation.respond(text)
    assert reply.kind == "urgent" and reply.triage is not None
    assert not reply.triage.net_only
    assert category in reply.triage.categories
    assert alert_kind(reply.triage) is AlertKind.URGENT


@pytest.mark.parametrize("text", CALM)
def test_net_leaves_calm_messages_alone(content: Content, text: str) -> None:
    assert content.conversation.respond(text).kind != "urgent"


def test_net_is_not_asked_where_the_rules_recognised_a_symptom(content: Content) -> None:
    triage = content.conversation.triage
    found = triage.analyse("je n'ai plus de fièvre depuis hier")
    assert ("fievre", "negated") in found.dismissed
    assert triage.net_alert("je n'ai plus de fièvre depuis hier", found) is None


def test_english_net_alert_is_bilingual(content: Content) -> None:
    triage = content.conversation.triage
    text = "mes jambes se dérobent sous moi"
    found = triage.net_alert(text, triage.analyse(text), english=True)
    assert found is not None and found.english
    reply = triage.reply(found, HOTLINE)
    assert texts.with_hotline(texts.NET_CHECK_REPLY_EN, HOTLINE) in reply
    assert texts.with_hotline(texts.NET_CHECK_REPLY, HOTLINE) in reply


def test_weights_round_trip(tmp_path: Path) -> None:
    net = load_net(WEIGHTS_PATH)
    assert 0.0 < net.threshold < 1.0
    copy = tmp_path / "net.bin"
    save_net(copy, net._w, bits=net.bits, bias=net.bias, threshold=net.threshold, meta={})
    again = load_net(copy)
    for text in [*NET_ONLY, *CALM]:
        assert again.judge(text) == net.judge(text)


def test_damaged_weights_refuse_to_load(tmp_path: Path) -> None:
    bad = tmp_path / "net.bin"
    bad.write_bytes(b'{"bits": 18, "bias": 0, "threshold": 0.5}\nnot zlib')
    with pytest.raises(ValueError, match="not a safety-net weights file"):
        load_net(bad)
    with pytest.raises(ContentError) as err:
        load_triage(PROJECT_ROOT / "data" / "triage.yaml", net=bad)
    assert "filet de sécurité" in str(err.value.errors[0])


async def test_net_alert_reaches_staff_as_a_check(bot: RunningBot, fake: FakeBotAPI) -> None:
    text = NET_ONLY[0]
    fake.send_text(PATIENT, text)
    [reply] = await fake.wait_for_messages(PATIENT, 1)
    assert reply["text"] == texts.with_hotline(texts.NET_CHECK_REPLY, HOTLINE)
    [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert texts.KIND_CHECK_LABEL in alert["text"]
    assert texts.NET_CATEGORY_LABEL in alert["text"]
    assert text in alert["text"]
    row = await bot.runtime.db.alert(1)
    assert row is not None and row.kind == AlertKind.CHECK.value


@pytest.mark.parametrize("text", ["4/10", "7", "8 !", "??", "ok", "10/10 :("])
def test_net_does_not_judge_answers_without_words(content: Content, text: str) -> None:
    """A typed pain score is an answer, not a message the net can read (it flagged "4/10")."""
    reply = content.conversation.respond(text)
    assert reply.triage is None or not reply.triage.net_only


async def test_edit_into_a_net_only_alarm_reaches_staff(bot: RunningBot, fake: FakeBotAPI) -> None:
    """An edit is read like any message, safety net included (it used to see the rules only)."""
    sent = fake.send_text(PATIENT, "bonjour")
    await fake.wait_for_messages(PATIENT, 1)
    fake.edit_text(sent, NET_ONLY[0])
    [_, reply] = await fake.wait_for_messages(PATIENT, 2)
    assert reply["text"] == texts.with_hotline(texts.NET_CHECK_REPLY, HOTLINE)
    [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
    assert texts.KIND_CHECK_LABEL in alert["text"]


async def test_english_red_flag_in_a_flood_gets_the_bilingual_reply(
    bot: RunningBot, fake: FakeBotAPI
) -> None:
    """Past the flood limit only urgent messages are answered, read as any message is."""
    for i in range(25):
        fake.send_text(PATIENT, f"question numéro {i} sur le parking")
    fake.send_text(PATIENT, "I can't breathe")
    await fake.wait_for(
        lambda: (
            any("112" in m["text"] for m in fake.messages(PATIENT))
            and len(fake.messages(STAFF_CHAT)) >= 1
        ),
        timeout=20,
        what="urgent reply and alert",
    )
    reply = next(m["text"] for m in fake.messages(PATIENT) if "112" in m["text"])
    assert "right now" in reply and HOTLINE in reply
