"""Snapshot of every verdict the engine gives on a fixed set of inputs, to prove that a speed-up
changes nothing.

    .venv/bin/python benchmarks/verdict_snapshot.py /tmp/snap-before
    ... optimise ...
    .venv/bin/python benchmarks/verdict_snapshot.py /tmp/snap-after
    diff -r /tmp/snap-before /tmp/snap-after && echo identical

Writes one file per (input set, engine variant) into the given directory (keep it outside the
repository): ``verdict_to_dict`` as JSON lines with sorted keys, with the classifier and with
``model=None``, in Chinese and (for the hand-written sets) English. Inputs: the packaged corpus, the
hold-out sets, the edge cases, the samples, the first 20,000 generated benchmark rows and, when
present, ``../shared/corpus/dev.jsonl`` and ``../shared/corpus/background/*`` (read in place).

Messages without a time are analysed as of today (laws in force are checked against the date), so
compare snapshots taken on the same day.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py)

GENERATED = 20_000


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def input_sets() -> list[tuple[str, list[dict], bool]]:
    """(name, rows, also in English)."""
    sets: list[tuple[str, list[dict], bool]] = []
    for path in sorted((ROOT / "src/anning/corpus").glob("part-*.jsonl")):
        sets.append((f"corpus-{path.stem}", list(_jsonl(path)), True))
    for path in sorted((ROOT / "corpus/holdout").glob("*.jsonl")):
        sets.append((f"holdout-{path.stem}", list(_jsonl(path)), True))
    sets.append(("edge_cases", list(_jsonl(ROOT / "tests/data/edge_cases.jsonl")), True))
    sets.append(("samples", list(_jsonl(ROOT / "src/anning/samples/messages.jsonl")), True))
    sets.append(("generated", list(generate.generate_rows(GENERATED)), False))
    shared = ROOT.parent / "shared" / "corpus"
    if (shared / "dev.jsonl").is_file():
        sets.append(("shared-dev", list(_jsonl(shared / "dev.jsonl")), True))
    for path in sorted((shared / "background").glob("*")) if (shared / "background").is_dir() else []:
        if path.is_file() and path.suffix == ".jsonl":
            sets.append((f"shared-background-{path.stem}", list(_jsonl(path)), False))
    return sets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="output directory (outside the repository)")
    ap.add_argument("--only", help="only input sets whose name contains this")
    args = ap.parse_args()

    from anning.engine import Engine
    from anning.explain import verdict_to_dict

    args.out.mkdir(parents=True, exist_ok=True)
    engines = {"model": Engine(), "rules": Engine(model=None)}
    total = 0
    cpu = time.process_time()
    for name, rows, english in input_sets():
        if args.only and args.only not in name:
            continue
        for variant, engine in engines.items():
            for lang in ("zh", "en") if english else ("zh",):
                with (args.out / f"{name}.{variant}.{lang}.jsonl").open("w", encoding="utf-8") as fh:
                    for row in rows:
                        v = engine.analyze(row["text"], row.get("sender"), row.get("received_at"),
                                           row.get("id"), lang)
                        fh.write(json.dumps(verdict_to_dict(v), ensure_ascii=False, sort_keys=True) + "\n")
                        total += 1
    print(f"{total} verdicts → {args.out} ({time.process_time() - cpu:.1f} CPU s)")


if __name__ == "__main__":
    main()
