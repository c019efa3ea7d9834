"""Short story ids that people can read aloud and type: ``k7q2``.

The alphabet leaves out characters that look alike in many fonts (0/o, 1/l/i), and every id
carries a digit so that it never reads as an English word.
"""

from __future__ import annotations

import random
from collections.abc import Callable

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_DIGITS = "23456789"
_TRIES_PER_LENGTH = 8
_MIN_LENGTH = 4
_MAX_LENGTH = 12


def new_story_id(rng: random.Random, taken: Callable[[str], bool]) -> str:
    """A fresh id not ``taken``: 4 characters, growing when collisions persist."""
    for length in range(_MIN_LENGTH, _MAX_LENGTH + 1):
        for _ in range(_TRIES_PER_LENGTH):
            chars = [rng.choice(ALPHABET) for _ in range(length)]
            if not any(c in _DIGITS for c in chars):
                chars[rng.randrange(1, length)] = rng.choice(_DIGITS)
            candidate = "".join(chars)
            if not taken(candidate):
                return candidate
    raise RuntimeError("no free story id after trying every length up to 12")
