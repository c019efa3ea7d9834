"""The Messenger port against the fake Bot API: what is sent, and every way it fails."""

from __future__ import annotations

import httpx
import pytest
from telegram import error as tg

from adapters.telegram.errors import delivery_error
from bot.commands.router import Invocation
from bot.core.cards import Action, Button, Card, Text, line
from bot.core.domain import Destination, MessageRef
from bot.core.errors import (
    AmbiguousDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from tests.adapters.telegram.tg_world import ADA, BOB, GROUP, World

DM = Destination("telegram", str(ADA))
CARD = Card(
    title="Bridge closed",
    body=(line("The bridge is closed."),),
    buttons=(Button("Sources (2)", Action("sources", "k7q2")),),
)


async def test_send_posts_html_without_previews_and_with_the_keyboard(world: World) -> None:
    adapter = await world.adapter()
    ref = await adapter.messenger.send(DM, CARD, nonce="n1")
    (sent,) = world.fake.sent_to(ADA)
    assert ref == MessageRef(DM, str(sent["message_id"]))
    request = sent["_request"]
    assert request["parse_mode"] == "HTML"
    assert request["link_preview_options"] == {"is_disabled": True}
    assert sent["text"] == "Bridge closed\nThe bridge is closed."
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "s:k7q2"


async def test_a_long_card_is_several_messages_keyboard_under_the_last(world: World) -> None:
    adapter = await world.adapter()
    world.fake.limits.per_chat_s = 0
    body = (line("A sentence about the flood that keeps going for a while. " * 150),)
    ref = await adapter.messenger.send(DM, Card(body=body, buttons=CARD.buttons), nonce="n2")
    sent = world.fake.sent_to(ADA)
    assert len(sent) == 3
    assert ref.message_id == str(sent[0]["message_id"])
    assert [("reply_markup" in m) for m in sent] == [False, False, True]


async def test_a_card_cut_short_by_the_rate_limit_is_ambiguous_not_resent(world: World) -> None:
    adapter = await world.adapter(max_inline_wait_s=0.0)
    body = (line("A sentence about the flood that keeps going for a while. " * 150),)
    with pytest.raises(AmbiguousDeliveryError, match="sent 1 of 3"):
        await adapter.messenger.send(DM, Card(body=body), nonce="n3")
    assert len(world.fake.sent_to(ADA)) == 1


async def test_a_reply_quotes_the_post_and_stays_in_its_topic(world: World) -> None:
    forum = world.fake.add_chat(-100900, "supergroup", is_forum=True, admins={ADA})
    adapter = await world.adapter()
    topic = Destination("telegram", str(forum.id), "77")
    post = await adapter.messenger.send(topic, CARD, nonce="p")
    world.fake.advance(1)
    answer = await adapter.messenger.reply(post, Card(body=(line("More."),)), nonce="r")
    first, second = world.fake.sent_to(forum.id)
    assert first["message_thread_id"] == 77
    assert second["message_thread_id"] == 77
    assert second["reply_to_message"]["message_id"] == int(post.message_id)
    assert answer.destination == topic


async def test_edit_replaces_the_text_and_an_unchanged_edit_is_fine(world: World) -> None:
    adapter = await world.adapter()
    ref = await adapter.messenger.send(DM, CARD, nonce="n")
    world.fake.advance(1)
    await adapter.messenger.edit(ref, Card(title="Bridge reopened", buttons=CARD.buttons))
    assert world.fake.edits[-1]["text"] == "Bridge reopened"
    world.fake.advance(1)
    await adapter.messenger.edit(ref, Card(title="Bridge reopened", buttons=CARD.buttons))
    assert len(world.fake.edits) == 1
    assert world.fake.refusals[-1][1] == 400  # Telegram said "not modified"; not our failure


async def test_a_second_message_within_a_second_is_rate_limited(world: World) -> None:
    adapter = await world.adapter()
    await adapter.messenger.send(DM, CARD, nonce="a")
    with pytest.raises(TransientDeliveryError) as caught:
        await adapter.messenger.send(DM, CARD, nonce="b")
    assert caught.value.retry_after == 1.0
    world.fake.advance(1)
    await adapter.messenger.send(DM, CARD, nonce="b")
    assert len(world.fake.sent_to(ADA)) == 2


async def test_a_group_gets_20_messages_a_minute(world: World) -> None:
    adapter = await world.adapter()
    group = Destination("telegram", str(GROUP))
    for i in range(20):
        await adapter.messenger.send(group, CARD, nonce=f"g{i}")
        world.fake.advance(1.5)
    with pytest.raises(TransientDeliveryError) as caught:
        await adapter.messenger.send(group, CARD, nonce="g20")
    assert caught.value.retry_after is not None
    assert 1 <= caught.value.retry_after <= 31
    assert world.fake.refusals[-1][1] == 429


async def test_more_than_30_messages_a_second_overall_are_refused(world: World) -> None:
    adapter = await world.adapter()
    for user in range(1, 31):
        world.fake.add_user(user, f"U{user}")
        await adapter.messenger.send(Destination("telegram", str(user)), CARD, nonce=f"u{user}")
    world.fake.add_user(31, "U31")
    with pytest.raises(TransientDeliveryError):
        await adapter.messenger.send(Destination("telegram", "31"), CARD, nonce="u31")


async def test_a_blocked_bot_gets_a_permanent_error(world: World) -> None:
    adapter = await world.adapter()
    world.fake.chats[BOB].bot_status = "kicked"
    with pytest.raises(PermanentDeliveryError, match="blocked"):
        await adapter.messenger.send(Destination("telegram", str(BOB)), CARD, nonce="x")


async def test_an_unknown_chat_is_permanent(world: World) -> None:
    adapter = await world.adapter()
    with pytest.raises(PermanentDeliveryError, match=r"(?i)chat not found"):
        await adapter.messenger.send(Destination("telegram", "-999"), CARD, nonce="x")


async def test_a_migrated_group_is_followed(world: World) -> None:
    adapter = await world.adapter()
    group = Destination("telegram", str(GROUP))
    await world.commands.subscribe(_admin(group), "flood")
    world.fake.chats[GROUP].migrated_to = -100777
    world.fake.add_chat(-100777, "supergroup", admins={ADA})
    ref = await adapter.messenger.send(group, CARD, nonce="m")
    assert ref.destination.chat_id == "-100777"
    assert len(world.fake.sent_to(-100777)) == 1
    moved = await world.storage.subscriptions_for(Destination("telegram", "-100777"))
    assert [s.topic for s in moved] == ["flood"]


async def test_refused_html_falls_back_to_plain_text(world: World) -> None:
    adapter = await world.adapter()
    bad = Card(body=((Text("x", "code"),),))
    # The renderer emits only allowed tags, so make the fake stricter than Telegram instead.
    del world.fake.allowed_tags["code"]
    await adapter.messenger.send(DM, bad, nonce="p")
    (sent,) = world.fake.sent_to(ADA)
    assert sent["text"] == "x"
    assert "parse_mode" not in sent["_request"]


async def test_an_unreachable_server_is_transient(world: World) -> None:
    adapter = await world.adapter()
    await world.fake.close()
    with pytest.raises(TransientDeliveryError):
        await adapter.messenger.send(DM, CARD, nonce="x")


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (tg.RetryAfter(7), TransientDeliveryError),
        (tg.Forbidden("Forbidden: bot was kicked from the group chat"), PermanentDeliveryError),
        (tg.BadRequest("Bad Request: chat not found"), PermanentDeliveryError),
        (
            tg.BadRequest("Bad Request: not enough rights to send text messages"),
            PermanentDeliveryError,
        ),
        (tg.ChatMigrated(-100123), PermanentDeliveryError),
        (tg.NetworkError("Bad Gateway"), TransientDeliveryError),
        (tg.TimedOut("Pool timeout: All connections ... *not* sent"), TransientDeliveryError),
        (tg.InvalidToken("Unauthorized"), TransientDeliveryError),
    ],
)
def test_ptb_errors_map_to_delivery_errors(err: tg.TelegramError, expected: type) -> None:
    mapped = delivery_error(err)
    assert type(mapped) is expected
    if isinstance(err, tg.RetryAfter):
        assert isinstance(mapped, TransientDeliveryError)
        assert mapped.retry_after == 7.0


def test_a_lost_answer_is_ambiguous_but_a_refused_connection_is_not() -> None:
    def caused(err: tg.TelegramError, cause: Exception) -> tg.TelegramError:
        err.__cause__ = cause
        return err

    request = httpx.Request("POST", "http://127.0.0.1/")
    read = caused(tg.TimedOut(), httpx.ReadTimeout("slow", request=request))
    lost = caused(tg.NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("x"))
    refused = caused(tg.NetworkError("httpx.ConnectError"), httpx.ConnectError("refused"))
    assert type(delivery_error(read)) is AmbiguousDeliveryError
    assert type(delivery_error(lost)) is AmbiguousDeliveryError
    assert type(delivery_error(refused)) is TransientDeliveryError


def _admin(destination: Destination) -> Invocation:
    return Invocation(destination, str(ADA), can_manage=True)
