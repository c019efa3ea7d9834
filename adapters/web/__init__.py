"""Story pages on the bot's own HTTP server (``GET /s/<story>``)."""

from adapters.web.pages import StoryPages, WebConfig

__all__ = ["StoryPages", "WebConfig"]
