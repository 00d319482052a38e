"""``re`` against PCRE2's JIT on the patterns ``anning.text.jit.DualPattern`` wraps, and on all rule
patterns together: µs per text for short (< 100 characters) and long (≥ 1,000) generated messages.

    .venv/bin/python benchmarks/regex_engines.py

This is what ``JIT_FROM`` rests on. On long texts PCRE2 scans several times faster. On short ones its
scan is faster for some patterns too, but inside the engine (guards skip most calls, and reading
groups and spans through PCRE2's binding costs more per match) ``benchmarks/stages.py`` measured no
gain below about 100 characters, so short messages stay on ``re``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from anning.detectors import rules
from anning.knowledge import load_knowledge
from anning.text import extract, jit, normalize


def per_text(fn, texts: list[str]) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for text in texts:
            for _m in fn(text):
                pass
        best = min(best, time.perf_counter() - t0)
    return best / len(texts) * 1e6


def main() -> None:
    if not jit.enabled():
        sys.exit("pcre2 is not installed (or ANNING_PCRE2=0)")
    rows = list(generate.generate_rows(20_000))
    short = [normalize.normalize(r["text"]).text for r in rows if len(r["text"]) < 100][:3000]
    long = [normalize.normalize(r["text"]).text for r in rows if len(r["text"]) >= 1000][:150]
    print(f"µs per text: {len(short):,} short, {len(long):,} long messages")
    print(f"{'pattern':34s} {'short re':>9s} {'PCRE2':>9s} {'long re':>9s} {'PCRE2':>9s}")
    for module in (normalize, extract):
        for name, value in vars(module).items():
            if isinstance(value, jit.DualPattern):
                cells = [per_text(engine.finditer, texts) for texts in (short, long)
                         for engine in (value.plain, value.fast)]
                print(f"{module.__name__.rsplit('.', 1)[1] + '.' + name:34s}" + "".join(f"{c:10.1f}" for c in cells))
    plan = rules._plan(load_knowledge())
    pairs = [((plan.entries[n] or plan.entry(n))[0], None) for n in range(len(plan.rule_of))]
    pairs = [(p, plan.jit(n, p)) for n, (p, _) in enumerate(pairs)]
    cells = [per_text(lambda t, i=i: (m for pair in pairs for m in pair[i].finditer(t)), texts)
             for texts in (short, long) for i in (0, 1)]
    print(f"{f'all {len(pairs)} rule patterns':34s}" + "".join(f"{c:10.1f}" for c in cells))


if __name__ == "__main__":
    main()
