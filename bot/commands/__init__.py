"""What people type and press: the router and one module per command family,
answering with cards.

May import: ``bot.core``, ``bot.text``, ``bot.stories``, ``bot.summaries``, ``bot.delivery``.
"""
