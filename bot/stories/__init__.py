"""From articles to stories: the online clusterer, its features and config, wire
copies, breaking detection, topic queries and subscription matching, the pipeline that
clusters (``pipeline``) and the publishing that summarises, matches and enqueues
(``publishing``).

May import: ``bot.core``, ``bot.text``, ``bot.summaries``.
"""
