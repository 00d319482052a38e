"""Shared fixtures: one Engine per session, the packaged knowledge, and a runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ANNING = Path(sys.executable).parent / "anning"


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory):
    """Personal rules, corrections and models go to a temporary ANNING_HOME, never the user's own."""
    home = tmp_path_factory.mktemp("anning-home")
    cache = tmp_path_factory.mktemp("anning-cache")
    old = {k: os.environ.get(k) for k in ("ANNING_HOME", "ANNING_CACHE")}
    os.environ["ANNING_HOME"] = str(home)
    os.environ["ANNING_CACHE"] = str(cache)
    yield home
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def engine():
    from anning.engine import Engine

    return Engine()


@pytest.fixture(scope="session")
def knowledge(engine):
    return engine.k


def _run(*args: str, input: str | None = None, cwd: Path | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}
    return subprocess.run(
        [str(ANNING), *args], input=input if input is not None else "", capture_output=True, text=True,
        encoding="utf-8", cwd=cwd, env=env, timeout=timeout, check=False,
    )


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``anning`` console script; stdin is a pipe (empty unless ``input`` is given)."""
    assert ANNING.exists(), f"console script not found at {ANNING}"
    return _run
