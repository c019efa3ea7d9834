"""Getting posts out: rendering stories into cards, the dispatcher that claims
outbox rows, the per-chat send queue and the platforms' rate windows.

May import: ``bot.core``, ``bot.text``.
"""
