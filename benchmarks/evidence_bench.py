"""Benchmark of a whole evidence import: `anning evidence import` of a generated Android backup.

    .venv/bin/python benchmarks/evidence_bench.py             # 100,000 messages, --jobs 1 and all cores
    .venv/bin/python benchmarks/evidence_bench.py --n 20000

Each run is the real command in a fresh process into a new store: parse the XML, skip duplicates,
analyse every message with the engine, chain and commit in batches. Wall time and peak RSS come from
``/usr/bin/time -v`` (largest single process). The input file is the one `import_bench.py` generates
and caches in benchmarks/results/. Results are printed and written to results/evidence-latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from import_bench import RESULTS, ensure_file  # noqa: E402

ANNING = Path(sys.executable).parent / "anning"


def run(path: Path, jobs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "evidence.db"
        cmd = [str(ANNING), "evidence", "import", str(path), "--db", str(db), "--jobs", str(jobs),
               "--no-progress", "--json"]
        timer = shutil.which("time") and Path("/usr/bin/time").exists()
        start = time.perf_counter()
        done = subprocess.run((["/usr/bin/time", "-v"] if timer else []) + cmd, capture_output=True, text=True,
                              env={**os.environ, "ANNING_HOME": tmp})
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"import failed: {done.stderr[-2000:]}")
        summary = json.loads(done.stdout)[0]
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        return {"jobs": jobs, "messages": summary["new"], "wall_s": round(wall, 2),
                "msg_per_s": round(summary["new"] / wall), "max_rss_mb": round(int(rss.group(1)) / 1024, 1)
                if rss else None, "db_mb": round(db.stat().st_size / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 0])
    args = parser.parse_args()
    path = ensure_file(args.n)
    print(f"input: {path.name} ({path.stat().st_size / 2**20:.1f} MiB, {args.n} messages)")
    rows = [run(path, jobs) for jobs in args.jobs]
    print(f"{'jobs':>5} {'wall s':>8} {'msg/s':>8} {'max RSS MB':>11} {'store MB':>9}")
    for r in rows:
        print(f"{r['jobs'] or os.cpu_count():>5} {r['wall_s']:>8} {r['msg_per_s']:>8} {r['max_rss_mb']!s:>11} "
              f"{r['db_mb']:>9}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "evidence-latest.json").write_text(json.dumps({"n": args.n, "runs": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
