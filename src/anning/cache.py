"""A small on-disk cache for things that are slow to build and never change for the same inputs:
the validated knowledge pack and the parsed classifier (together most of a cold start).

Entries are keyed by a hash of everything they are built from (data files, the code that reads them,
the Python version), so an edited rule or a new release simply misses the cache. The cache lives in
``$ANNING_CACHE`` or the platform's user cache directory, holds only what the package itself ships,
and any problem reading or writing it just means building afresh. ``ANNING_CACHE=off`` disables it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path | None:
    env = os.environ.get("ANNING_CACHE")
    if env == "off":
        return None
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("anning", appauthor=False))


def key_of(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256(sys.version.encode())
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()[:32]


def cached(name: str, parts: Iterable[bytes], build: Callable[[], T]) -> T:
    """Return the cached value for these inputs, or build, store and return it."""
    base = cache_dir()
    if base is None:
        return build()
    path = base / f"{name}-{key_of(parts)}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)  # our own cache, in the user's own directory
    except Exception:  # missing, truncated or from another version: build afresh
        pass
    value = build()
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass
    return value
