"""One random stream per named component, derived from the scenario seed and a stable name hash.

Adding a component (a new fault injector, a new release) leaves every other stream untouched, so
scenario edits stay local and replays stay exact. ``zlib.crc32`` because Python's ``hash()`` is
salted per process.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))
