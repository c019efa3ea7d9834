"""Measuring the bot on evaluation data: clustering (pairwise and B-cubed), summaries
(ROUGE, grounding counts). Reads rows it is given; the CLI opens the files.

May import: every core package; no I/O library.
"""
