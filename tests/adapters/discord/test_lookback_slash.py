"""/catchup, /search and /settings as Discord slash commands, through the real discord.py."""

from __future__ import annotations

from tests.adapters.discord.helpers import World, seed_story, wait_answered


async def test_search_catchup_and_settings_answer_through_slash_commands(world: World) -> None:
    await world.start_adapter()
    synced = {c["name"]: c for c in world.fake.commands["global"]}
    assert {"catchup", "search", "settings"} <= set(synced)
    assert {o["name"] for o in synced["catchup"]["options"]} == {"topic", "since", "page"}
    await seed_story(world.storage)
    inter = await world.fake.slash(world.news, "search", {"words": '"al asad"'})
    await wait_answered(inter)
    assert inter.ephemeral
    assert "Rocket and missile attack hits Al Asad" in str(inter.response)
    inter = await world.fake.slash(world.news, "catchup", {"since": "2d"})
    await wait_answered(inter)
    assert "Catching up since" in str(inter.response)
    assert "k7q2" in str(inter.response)
    inter = await world.fake.slash(
        world.news, "settings", {"timezone": "Asia/Tokyo"}, can_manage=False
    )
    await wait_answered(inter)
    assert "Only this chat's admins" in inter.response["content"]
    inter = await world.fake.slash(world.news, "settings", {"timezone": "Asia/Tokyo"})
    await wait_answered(inter)
    assert "now Asia/Tokyo" in inter.response["content"]
