"""Discord adapter: slash commands, persistent buttons and story posts on discord.py."""

from adapters.discord.adapter import DiscordAdapter, invocation_of
from adapters.discord.config import DiscordConfig
from adapters.discord.messenger import DiscordMessenger
from adapters.discord.render import Rendered, render_card

__all__ = [
    "DiscordAdapter",
    "DiscordConfig",
    "DiscordMessenger",
    "Rendered",
    "invocation_of",
    "render_card",
]
