"""The project's own labelled training corpus, shipped with the package so that
``anning train --personal`` can refit on it plus the user's corrections."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_corpus() -> list[Path]:
    base = resources.files("anning") / "corpus"
    return sorted(Path(str(p)) for p in base.iterdir() if p.name.endswith(".jsonl"))
