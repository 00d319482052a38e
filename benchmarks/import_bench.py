"""Benchmark of the evidence importers: read a 100,000-message Android "SMS Backup & Restore" file.

    .venv/bin/python benchmarks/import_bench.py              # 100,000 messages
    .venv/bin/python benchmarks/import_bench.py --n 20000    # smaller

The file is generated once with ``tests/evidence_fixtures.py`` (emoji written as surrogate-pair
references, as the app does) and cached in benchmarks/results/ (git-ignored). ``read_export`` is
timed alone in a fresh process, so the peak RSS is that of the import, not of the generator; for
reference the same file is also walked by a bare lxml ``iterparse`` loop (no safety filter, no
records) in another fresh process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
GENERATOR_VERSION = 1
SEED = 20261120


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def ensure_file(n: int) -> Path:
    path = RESULTS / f"android-sms-{n}-s{SEED}-g{GENERATOR_VERSION}.xml"
    if path.is_file():
        return path
    sys.path.insert(0, str(HERE.parent / "tests"))
    from evidence_fixtures import generate_messages, write_android_xml

    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    start = time.perf_counter()
    write_android_xml(tmp, generate_messages(n, seed=SEED), surrogate_refs=True)
    tmp.replace(path)
    print(f"generated {path.name} in {time.perf_counter() - start:.1f} s")
    return path


def measure(path: Path, mode: str) -> dict[str, float]:
    """Run in a fresh process: time one full read of ``path``."""
    from lxml import etree

    from anning.evidence.importers import read_export

    base = _rss_mb()
    start = time.perf_counter()
    records = rejected = 0
    if mode == "read_export":
        for item in read_export(path):
            if hasattr(item, "text"):
                records += 1
            else:
                rejected += 1
    else:  # bare iterparse, elements cleared the same way
        for _event, elem in etree.iterparse(str(path), events=("end",), tag=("sms", "mms", "call"),
                                            resolve_entities=False, no_network=True, load_dtd=False,
                                            huge_tree=True, recover=True):
            records += 1
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    seconds = time.perf_counter() - start
    return {"records": records, "rejected": rejected, "seconds": seconds, "msg_per_s": records / seconds,
            "rss_base_mb": base, "rss_peak_mb": _rss_mb()}


def run_child(path: Path, mode: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--measure", str(path), "--mode", mode],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="read_export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.mode)))
        return
    path = ensure_file(args.n)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}  {size_mb:.1f} MB")
    for mode in ("read_export", "bare-iterparse"):
        runs = [run_child(path, mode) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        print(f"{mode:15s} {int(best['records']):>7d} records  best of {args.repeat}: {best['seconds']:.2f} s  "
              f"{best['msg_per_s']:>9,.0f} msg/s  {size_mb / best['seconds']:.1f} MB/s  "
              f"peak RSS {best['rss_peak_mb']:.0f} MB (after imports {best['rss_base_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
