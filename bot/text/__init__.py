"""Language handling: sentence splitting, words and terms, stemming, TF-IDF vectors,
section headings and their word lists, canonical URLs.

May import: ``bot.core`` and pure libraries (no I/O).
"""
