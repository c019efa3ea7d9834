"""Getting posts out: rendering stories into cards, the dispatcher that claims
outbox rows, what each row says (``messages``) and what became of it (``outcomes``),
the per-chat send queue and the platforms' rate windows.

May import: ``bot.core``, ``bot.text``, ``bot.stories`` (digests rank stories and match
them to subscriptions as the pipeline does).
"""
