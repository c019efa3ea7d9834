"""Makes ``tests.fakes`` importable however pytest was started (the tests tree has no
``__init__`` files, so the repository root is not always on ``sys.path``)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
