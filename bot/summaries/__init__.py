"""Writing a story down: the extractive summariser, grounding of every sentence in
its cited sources, answers to questions, and the LLM summary policy (prompt, budget,
cache, fallback) behind the ``ChatModel`` port.

May import: ``bot.core``, ``bot.text``.
"""
