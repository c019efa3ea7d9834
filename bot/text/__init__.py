"""Language handling: sentence splitting, words and terms, stemming, TF-IDF vectors,
section headings and their word lists, canonical URLs, names of places and languages in
every language (CLDR via Babel), finding runs of words through a positional index.

May import: ``bot.core`` and pure libraries (no I/O).
"""
