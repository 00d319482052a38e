"""The user's own corrections and rules, kept on this machine only.

- Personal rules (``anning rules add``): a sender pattern, a keyword or a regex decides the kind (and
  may add flags), highest priority first. They take effect on the next analysis.
- Feedback (``anning feedback``): corrected labels for messages, used by ``anning train --personal`` to
  refit the classifier on the shipped corpus plus the corrections.

Files live in ``$ANNING_HOME`` or the platform's user data directory (platformdirs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anning.text.normalize import normalize

RULES_FILE = "personal_rules.json"
FEEDBACK_FILE = "feedback.jsonl"
MODEL_FILE = "personal-model.json.gz"


class PersonalError(ValueError):
    """A personal rule or correction is invalid; nothing was written."""


def home() -> Path:
    env = os.environ.get("ANNING_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("anning", appauthor=False))


def message_id(text: str) -> str:
    """Stable id of a message's content (also printed in every verdict)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class PersonalRule:
    id: str
    kind: str
    sender: str | None = None
    keyword: str | None = None
    regex: str | None = None
    flags: list[str] = field(default_factory=list)
    priority: int = 0
    note: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        self._sender_rx = None
        if self.sender:
            pattern = "".join(r"\d" if c in "xX*" else re.escape(c) for c in _clean(self.sender))
            self._sender_rx = re.compile("^" + pattern)
        self._keyword = normalize(self.keyword).text if self.keyword else None
        self._regex = re.compile(self.regex) if self.regex else None

    def match(self, normalised: str, sender: str | None) -> tuple[int, int] | None:
        """The normalised span that matched (empty span for a sender-only rule), or None."""
        span: tuple[int, int] = (0, 0)
        if self._sender_rx is not None and (not sender or not self._sender_rx.search(_clean(sender))):
            return None
        if self._keyword is not None:
            at = normalised.find(self._keyword)
            if at < 0:
                return None
            span = (at, at + len(self._keyword))
        if self._regex is not None:
            m = self._regex.search(normalised)
            if m is None:
                return None
            span = (m.start(), m.end())
        return span

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_") and v not in (None, "", [])}


def _clean(sender: str) -> str:
    return re.sub(r"[\s\-()+]", "", sender)


class PersonalStore:
    """Reads and writes the personal rules and feedback in one directory."""

    def __init__(self, root: Path | None = None):
        self.root = root or home()

    # -- rules --------------------------------------------------------------------------------------
    def rules(self) -> list[PersonalRule]:
        path = self.root / RULES_FILE
        if not path.is_file():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rules = [PersonalRule(**r) for r in data.get("rules", [])]
        except (ValueError, TypeError, re.error) as exc:
            raise PersonalError(f"{path}: cannot read personal rules ({exc})") from exc
        return sorted(rules, key=lambda r: (-r.priority, r.id))

    def add_rule(self, kind: str, kinds: list[str], flags: list[str], known_flags: list[str], *,
                 sender: str | None = None, keyword: str | None = None, regex: str | None = None,
                 priority: int = 0, note: str = "") -> PersonalRule:
        if kind not in kinds:
            raise PersonalError(f"unknown kind '{kind}' (one of {', '.join(kinds)})")
        bad = [f for f in flags if f not in known_flags]
        if bad:
            raise PersonalError(f"unknown flags {bad} (known: {', '.join(known_flags)})")
        if not (sender or keyword or regex):
            raise PersonalError("a rule needs --sender, --keyword or --regex")
        if regex:
            try:
                re.compile(regex)
            except re.error as exc:
                raise PersonalError(f"--regex does not compile: {exc}") from exc
        existing = self.rules()
        number = max((int(r.id[1:]) for r in existing if r.id[1:].isdigit()), default=0) + 1
        rule = PersonalRule(f"P{number}", kind, sender, keyword, regex, list(flags), priority, note, _now())
        self._write_rules([*existing, rule])
        return rule

    def remove_rule(self, rule_id: str) -> None:
        existing = self.rules()
        kept = [r for r in existing if r.id != rule_id]
        if len(kept) == len(existing):
            raise PersonalError(f"no personal rule '{rule_id}'")
        self._write_rules(kept)

    def _write_rules(self, rules: list[PersonalRule]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / RULES_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"rules": [r.to_dict() for r in rules]}, ensure_ascii=False, indent=2),
                       encoding="utf-8")
        tmp.replace(path)

    # -- feedback -----------------------------------------------------------------------------------
    def add_feedback(self, text: str, kind: str, flags: list[str], kinds: list[str], known_flags: list[str],
                     sender: str | None = None, received_at: str | None = None) -> dict[str, Any]:
        if kind not in kinds:
            raise PersonalError(f"unknown kind '{kind}' (one of {', '.join(kinds)})")
        bad = [f for f in flags if f not in known_flags]
        if bad:
            raise PersonalError(f"unknown flags {bad}")
        if not text.strip():
            raise PersonalError("the message text is empty")
        row = {"id": message_id(text), "text": text, "kind": kind, "flags": sorted(set(flags)),
               "sender": sender, "received_at": received_at, "corrected_at": _now()}
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / FEEDBACK_FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return row

    def feedback(self) -> list[dict[str, Any]]:
        """Corrections, the latest one per message id winning."""
        path = self.root / FEEDBACK_FILE
        if not path.is_file():
            return []
        latest: dict[str, dict[str, Any]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                latest[row["id"]] = row
        return list(latest.values())

    @property
    def model_path(self) -> Path:
        return self.root / MODEL_FILE
