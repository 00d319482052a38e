"""Where the engine's time goes: each stage of ``Engine.analyze_batch`` timed on its own, per message.

    .venv/bin/python benchmarks/stages.py            # first 20,000 generated messages
    .venv/bin/python benchmarks/stages.py --n 5000

Prints µs per message (best of 3) for all messages and by length (< 100, 100–999, ≥ 1,000 characters):
the whole batch analysis with and without the classifier, then preparation, context detectors, pattern
rules, the classifier's vectorised prediction and its explained signal, and building the Arrow output row.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py)

from anning.detectors import classifier, rules  # noqa: E402
from anning.engine import CONTEXT_DETECTORS, Engine, content_id, to_local_time  # noqa: E402
from anning.model import Message  # noqa: E402
from anning.scale.arrow import freeze_heap, record  # noqa: E402

BATCH = 512


def best(fn: Callable[[], object], reps: int = 3) -> float:
    fastest = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        fastest = min(fastest, time.perf_counter() - t0)
    return fastest


def stages(engine: Engine, rules_only: Engine, rows: list[dict]) -> dict[str, float]:
    n = len(rows)
    requests = [(r["text"], r.get("sender"), r.get("received_at"), str(i)) for i, r in enumerate(rows)]
    chunks = [requests[i:i + BATCH] for i in range(0, n, BATCH)]
    messages = [Message(r["text"], r.get("sender"), to_local_time(r.get("received_at")), content_id(r["text"]))
                for r in rows]
    prepared = [engine.prepare(m, "zh") for m in messages]
    texts = [p.nt.text for p in prepared]
    predictions = [x for i in range(0, n, BATCH) for x in engine.model.predict_many(texts[i:i + BATCH])]
    verdicts = [v for chunk in chunks for v in engine.analyze_batch(chunk)]
    out = {
        "analyze_batch, rules + classifier": best(lambda: [engine.analyze_batch(c) for c in chunks]),
        "analyze_batch, rules only": best(lambda: [rules_only.analyze_batch(c) for c in chunks]),
        "prepare (normalise + entities)": best(lambda: [engine.prepare(m, "zh") for m in messages]),
        "context detectors": best(lambda: [[s for d in CONTEXT_DETECTORS for s in d(p, engine.k)]
                                           for p in prepared]),
        "pattern rules": best(lambda: [rules.detect(p, engine.k) for p in prepared]),
        "classifier, predict_many": best(lambda: [engine.model.predict_many(texts[i:i + BATCH])
                                                  for i in range(0, n, BATCH)]),
        "classifier, explained signal": best(lambda: [classifier.signal(p, q, engine.model)
                                                      for p, q in zip(prepared, predictions, strict=True)]),
        "Arrow output row": best(lambda: [record("1", v, None) for v in verdicts]),
    }
    return {name: seconds / n * 1e6 for name, seconds in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    args = ap.parse_args()
    rows = list(generate.generate_rows(args.n))
    engine, rules_only = Engine(), Engine(model=None)
    freeze_heap(engine)
    freeze_heap(rules_only)
    groups = (("all", rows), ("short (< 100 chars)", [r for r in rows if len(r["text"]) < 100]),
              ("100–999 chars", [r for r in rows if 100 <= len(r["text"]) < 1000]),
              ("long (≥ 1,000 chars)", [r for r in rows if len(r["text"]) >= 1000]))
    for name, subset in groups:
        print(f"{name}: {len(subset):,} messages, µs per message")
        for stage, micros in stages(engine, rules_only, subset).items():
            print(f"  {stage:36s} {micros:8.1f}")


if __name__ == "__main__":
    main()
