"""From articles to stories: the online clusterer, its features and config, wire
copies, breaking detection, topic queries and subscription matching, and the pipeline
that runs cluster -> summarise -> match -> enqueue.

May import: ``bot.core``, ``bot.text``, ``bot.summaries``.
"""
