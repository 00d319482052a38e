"""Checks for the legal data: laws.yaml and channels.yaml (generated), behaviours.yaml (hand-written)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "anning" / "data"
KB = REPO / ".." / "shared" / "knowledge" / "legal-kb.md"
IMPORTER = REPO / "tools" / "import_legal_kb.py"

BINDING_LEVELS = {"law", "judicial_interpretation", "regulation", "national_standard_recommended",
                  "self_regulatory"}
CONFIDENCE = {"verified", "likely"}
# legal-kb.md §0.3 plus the two behaviours the project adds.
BEHAVIOURS = {
    "contacts_third_party", "discloses_debt", "claims_third_party_liable", "claims_family_liable",
    "threatens_violence", "threatens_exposure", "insults", "defames", "impersonates_authority",
    "impersonates_lawyer", "fake_legal_document", "false_criminal_threat", "contacts_at_night",
    "excessive_frequency", "demands_personal_account", "phishing_link_or_app", "unlawful_interest_or_fees",
    "induces_new_borrowing", "misuses_personal_info", "extortion", "ignores_stop_request",
    "asks_verification_code", "offers_paid_debt_relief", "threatens_visit",
}
# KB entries marked unverified (or not starting with verified/likely) that must never ship.
DROPPED = {"OP-2019-LOAN36", "FIN-24-CAP", "LPR-VALUE", "FIN-CPMP-041", "FIN-CC-2022-13", "FIN-CFC-2024",
           "NIFA-2018-CONVENTION", "CASHLOAN-2017-141", "SPC-PL-HISTORY", "CH-12315"}


def _load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def laws_doc() -> dict[str, Any]:
    return _load("laws.yaml")


@pytest.fixture(scope="module")
def laws(laws_doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {law["id"]: law for law in laws_doc["laws"]}


@pytest.fixture(scope="module")
def channels_doc() -> dict[str, Any]:
    return _load("channels.yaml")


@pytest.fixture(scope="module")
def channels(channels_doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ch["id"]: ch for ch in channels_doc["channels"]}


@pytest.fixture(scope="module")
def behaviours() -> dict[str, dict[str, Any]]:
    return {b["id"]: b for b in _load("behaviours.yaml")["behaviours"]}


@pytest.mark.parametrize("name,key", [("laws.yaml", "laws"), ("channels.yaml", "channels"),
                                      ("behaviours.yaml", "behaviours")])
def test_no_duplicate_ids(name: str, key: str) -> None:
    ids = [e["id"] for e in _load(name)[key]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_versions_are_the_kb_check_date(laws_doc: dict[str, Any], channels_doc: dict[str, Any]) -> None:
    assert laws_doc["version"] == channels_doc["version"] == "2026-11-22"


def test_every_law_is_complete(laws: dict[str, dict[str, Any]]) -> None:
    for lid, law in laws.items():
        for field in ("instrument_zh", "instrument_en", "title_zh", "title_en", "summary_zh", "summary_en"):
            assert isinstance(law.get(field), str) and law[field].strip(), f"{lid}: {field}"
        assert ("《" in law["instrument_zh"]) and ("》" in law["instrument_zh"]), lid
        assert bool(law["article_zh"]) == bool(law["article_en"]), lid
        assert law["binding_level"] in BINDING_LEVELS, lid
        assert law["source"].startswith(("http://", "https://")), lid
        assert law["confidence"] in CONFIDENCE, lid
        assert law["applies_to"] in {"borrower", "third_party", "both"}, lid
        assert set(law["behaviours"]) <= BEHAVIOURS, lid
        assert bool(law.get("note_zh")) == bool(law.get("note_en")), f"{lid}: notes come in pairs"


def test_unverified_entries_are_not_shipped(laws: dict[str, Any], channels: dict[str, Any]) -> None:
    assert not DROPPED & (set(laws) | set(channels))


def test_binding_levels_have_labels_and_phrases(laws_doc: dict[str, Any], laws: dict[str, Any]) -> None:
    levels = laws_doc["binding_levels"]
    assert set(levels) <= BINDING_LEVELS
    for level in {law["binding_level"] for law in laws.values()}:
        entry = levels[level]
        for field in ("label_zh", "label_en", "phrase_zh", "phrase_en"):
            assert entry.get(field), f"{level}: {field}"
        assert "{instrument}" in entry["phrase_zh"] and "{instrument_en}" in entry["phrase_en"], level
    assert levels["self_regulatory"]["phrase_zh"].startswith("不符合行业规范")
    assert "违反" not in levels["national_standard_recommended"]["phrase_zh"]


def test_psapl_versions_switch_on_2026_01_01(laws: dict[str, dict[str, Any]]) -> None:
    old = [lid for lid in laws if lid.startswith("PSAPL-2012-")]
    new = [lid for lid in laws if lid.startswith("PSAPL-2025-")]
    assert set(old) == {"PSAPL-2012-042", "PSAPL-2012-049-051"}
    assert set(new) == {"PSAPL-2025-050", "PSAPL-2025-056"}
    for lid in old:
        assert str(laws[lid]["in_force_until"]) == "2025-12-31", lid
        assert laws[lid]["in_force_from"] is None, lid
    for lid in new:
        assert str(laws[lid]["in_force_from"]) == "2026-01-01", lid
        assert laws[lid]["in_force_until"] is None, lid


def test_old_psapl_follows_new_one_in_cites(behaviours: dict[str, dict[str, Any]]) -> None:
    for bid in ("insults", "threatens_violence", "excessive_frequency"):
        cite = behaviours[bid]["cite"]
        assert cite.index("PSAPL-2012-042") == cite.index("PSAPL-2025-050") + 1, bid


def test_lpr_cap_is_marked_private_lending_only(laws: dict[str, dict[str, Any]]) -> None:
    for lid in ("SPC-PL-025-029", "SPC-PL-001-SCOPE"):
        assert "民间借贷" in laws[lid]["note_zh"] and "持牌" in laws[lid]["note_zh"], lid
        assert "private lending" in laws[lid]["note_en"] and "licensed" in laws[lid]["note_en"], lid


@pytest.mark.parametrize("name", ["laws.yaml", "channels.yaml", "behaviours.yaml"])
def test_no_21_00_quiet_hours(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    assert "21:00" not in text and "21点" not in text


def test_behaviours_cover_the_vocabulary(behaviours: dict[str, dict[str, Any]]) -> None:
    assert set(behaviours) == BEHAVIOURS
    for bid, b in behaviours.items():
        for field in ("label_zh", "label_en", "why_zh", "why_en"):
            assert isinstance(b.get(field), str) and b[field].strip(), f"{bid}: {field}"
        assert "一定" not in b["why_zh"], f"{bid}: say 可能, not 一定"


def test_behaviour_references_resolve(behaviours: dict[str, dict[str, Any]], laws: dict[str, Any],
                                      channels: dict[str, Any]) -> None:
    for bid, b in behaviours.items():
        assert b["cite"], f"{bid}: no citation"
        assert b["channels"], f"{bid}: no channel"
        assert len(b["cite"]) == len(set(b["cite"])), bid
        assert len(b["channels"]) == len(set(b["channels"])), bid
        assert set(b["cite"]) <= set(laws), f"{bid}: unknown laws {set(b['cite']) - set(laws)}"
        unknown = set(b["channels"]) - set(channels)
        assert not unknown, f"{bid}: unknown channels {unknown}"


def test_channels(channels: dict[str, dict[str, Any]], behaviours: dict[str, dict[str, Any]]) -> None:
    for cid, ch in channels.items():
        assert cid.startswith("CH-"), cid
        for field in ("name_zh", "name_en", "how_zh", "how_en"):
            assert isinstance(ch.get(field), str) and ch[field].strip(), f"{cid}: {field}"
        assert ch["number"] is None or isinstance(ch["number"], str), cid
        assert ch["source"].startswith(("http://", "https://")), cid
        assert ch["confidence"] in CONFIDENCE, cid
        assert "12345" not in ch["how_zh"] + ch["how_en"], f"{cid}: 12345 routing is unverified"
        routed = {bid for bid, b in behaviours.items() if cid in b["channels"]}
        assert set(ch["behaviours"]) == routed, f"{cid}: channels.yaml and behaviours.yaml disagree"


def test_import_reproduces_committed_files(tmp_path: Path) -> None:
    if not KB.is_file():
        pytest.skip("legal-kb.md not available (../shared/knowledge/legal-kb.md)")
    result = subprocess.run([sys.executable, str(IMPORTER), str(KB), "--out", str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    for name in ("laws.yaml", "channels.yaml"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), \
            f"{name} is stale: run .venv/bin/python tools/import_legal_kb.py"
