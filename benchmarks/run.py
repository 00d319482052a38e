"""Benchmarks for anning: batch throughput, per-message latency, CLI cold start.

    .venv/bin/python benchmarks/run.py              # 100,000 messages (a few minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick      # 5,000 messages, under a minute
    .venv/bin/python benchmarks/run.py --profile    # also: cProfile of Engine.analyze and import times

Prints a table and writes the figures to benchmarks/results/latest.json. The generated input is cached
in benchmarks/results/ (git-ignored) and reused while the generator version, size and seed match.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import generate  # benchmarks/generate.py; the script's folder is on sys.path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SEED = 20261120
SAMPLE = "【鑫融易贷】张**您好，您的借款3,200.00元已逾期15天，请于今日18:00前还款，否则将联系您的紧急联系人。"
GNU_TIME = Path("/usr/bin/time")


# -- helpers -------------------------------------------------------------------------------------
def bench_env(bytecode: bool = True) -> dict[str, str]:
    """Environment for measured subprocesses.

    With ``bytecode`` (the default), compiled bytecode is cached under results/pycache, as it is after
    ``pip install`` from a wheel, even where PYTHONDONTWRITEBYTECODE is set (an editable checkout in
    such an environment would otherwise recompile every module in every process). Without it, every
    process compiles anning and its dependencies from source: the worst case.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(RESULTS / "pycache")
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="anning-nopyc-")
    return env


def anning_command() -> list[str]:
    exe = Path(sys.executable).with_name("anning")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "anning"]


def dataset(n: int, suffix: str, cache: bool, tmp: Path) -> Path:
    name = f"messages-{n}-s{SEED}-g{generate.GENERATOR_VERSION}{suffix}"
    path = (RESULTS if cache else tmp) / name
    if not path.exists():
        t0 = time.perf_counter()
        generate.write(path, n, SEED)
        print(f"  generated {path.relative_to(HERE.parent) if cache else path} "
              f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


class TreeMemory(threading.Thread):
    """Samples the summed RSS and PSS of a process and all its descendants every ``interval`` s.

    RSS counts pages shared between forked workers once per process (an over-estimate); PSS splits
    shared pages between the processes that map them, so the PSS sum is the tree's real footprint.
    """

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kb = self.peak_pss_kb = self.peak_procs = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss = pss = 0
            procs = _tree(self.pid)
            for pid in procs:
                r, p = _memory(pid)
                rss, pss = rss + r, pss + p
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_procs = max(self.peak_procs, len(procs))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def cpu_busy_s() -> float:
    """CPU seconds spent by the whole machine (all processes, all cores) since boot, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_idle(limit_s: float) -> float:
    """Wait (up to ``limit_s``) until the rest of the machine uses < 0.2 cores; return the load last seen."""
    deadline = time.monotonic() + limit_s
    while True:
        busy0, own0 = cpu_busy_s(), time.process_time()
        time.sleep(2)
        load = (cpu_busy_s() - busy0 - (time.process_time() - own0)) / 2
        if load < 0.2 or time.monotonic() >= deadline:
            return round(load, 2)
        print(f"  machine busy ({load:.2f} cores in use by other processes), waiting …", file=sys.stderr)
        time.sleep(3)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _memory(pid: int) -> tuple[int, int]:
    """(RSS kB, PSS kB) of one process; (0, 0) if it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    rss = re.search(r"^Rss:\s+(\d+)", text, re.M)
    pss = re.search(r"^Pss:\s+(\d+)", text, re.M)
    return (int(rss.group(1)) if rss else 0), (int(pss.group(1)) if pss else 0)


def run_batch_cli(src: Path, dst: Path, jobs: int, n: int, model: bool = True) -> dict[str, Any]:
    """Run ``anning batch`` in a fresh process (rules + classifier, or rules only); time it and measure
    its memory."""
    cmd = [*anning_command(), "batch", str(src), str(dst), "--jobs", str(jobs), "--no-progress",
           *(() if model else ("--no-model",))]
    with tempfile.NamedTemporaryFile(suffix=".time", delete=False) as fh:
        time_file = Path(fh.name)
    if GNU_TIME.exists():
        cmd = [str(GNU_TIME), "-v", "-o", str(time_file), *cmd]
        method = "/usr/bin/time -v"
    else:  # a tiny wrapper reports its own RUSAGE_CHILDREN, so each run gets a fresh figure
        wrapper = ("import resource,subprocess,sys;rc=subprocess.call(sys.argv[2:]);"
                   "open(sys.argv[1],'w').write('Maximum resident set size (kbytes): %d\\n'"
                   "%resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);sys.exit(rc)")
        cmd = [sys.executable, "-c", wrapper, str(time_file), *cmd]
        method = "getrusage(RUSAGE_CHILDREN).ru_maxrss"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, own0 = cpu_busy_s(), time.process_time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=bench_env())
    sampler = TreeMemory(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    busy = cpu_busy_s() - busy0 - (time.process_time() - own0)
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = time_file.read_text() if time_file.exists() else ""
    time_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise SystemExit(f"anning batch failed ({proc.returncode}):\n{err}{out}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    written = re.search(r"(\d+) rows", err)
    errors = re.search(r"\((\d+) with errors\)", err)
    cores = jobs or os.cpu_count() or 1
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rows_out = int(written.group(1)) if written else None
    if rows_out != n:
        raise SystemExit(f"anning batch wrote {rows_out} rows, expected {n}:\n{err}")
    return {
        "format": src.suffix[1:], "jobs": jobs, "model": model, "processes": cores, "messages": n,
        "wall_s": round(wall, 3),
        "msg_per_s": round(n / wall, 1), "msg_per_s_per_core": round(n / wall / cores, 1),
        "cpu_s": round(cpu, 2), "msg_per_cpu_s": round(n / cpu, 1) if cpu else None,
        "rows_with_error": int(errors.group(1)) if errors else 0,
        "max_rss_single_process_mb": round(int(match.group(1)) / 1024, 1) if match else None,
        "max_rss_method": method,
        "tree_peak_rss_sum_mb": round(sampler.peak_rss_kb / 1024, 1),
        "tree_peak_pss_sum_mb": round(sampler.peak_pss_kb / 1024, 1),
        "tree_peak_processes": sampler.peak_procs,
        "output_mb": round(dst.stat().st_size / 2**20, 1),
        # Cores kept busy meanwhile by everything else on the machine (not anning, not this script).
        "other_load_cores": round(max(0.0, busy - cpu) / wall, 2),
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def latency(count: int, compare: int = 2000) -> dict[str, Any]:
    """Per-message latency of Engine.analyze, in this process, after a warm-up."""
    from anning.engine import Engine

    engine = Engine()
    for row in generate.generate_rows(300, SEED + 1):  # warm-up: caches, lazy imports, branch paths
        engine.analyze(row["text"], row["sender"], row["received_at"])
    rows = list(generate.generate_rows(count, SEED))
    times: list[float] = []
    long_times: list[float] = []
    clock = time.perf_counter_ns
    for row in rows:
        t0 = clock()
        engine.analyze(row["text"], row["sender"], row["received_at"], message_id=row["id"])
        ms = (clock() - t0) / 1e6
        times.append(ms)
        if len(row["text"]) >= 1000:
            long_times.append(ms)
    times.sort()
    long_times.sort()
    # What `anning batch` adds per row on top of analyze: verdict → dict → JSON line.
    from anning.explain import verdict_to_dict

    verdicts = [engine.analyze(row["text"], row["sender"], row["received_at"]) for row in rows[:compare // 2]]
    t0 = clock()
    for v in verdicts:
        json.dumps(verdict_to_dict(v), ensure_ascii=False)
    serialise_ms = (clock() - t0) / 1e6 / len(verdicts)
    # The same messages with the rules only (no learned classifier), to show what the model costs.
    rules_only_ms = with_model_ms = None
    sample = rows[:compare]
    with contextlib.suppress(TypeError, ValueError):
        rules_engine = Engine(model=None)
        for row in rows[:100]:
            rules_engine.analyze(row["text"], row["sender"], row["received_at"])
        t0 = clock()
        for row in sample:
            rules_engine.analyze(row["text"], row["sender"], row["received_at"], message_id=row["id"])
        rules_only_ms = round((clock() - t0) / 1e6 / len(sample), 3)
        t0 = clock()
        for row in sample:
            engine.analyze(row["text"], row["sender"], row["received_at"], message_id=row["id"])
        with_model_ms = round((clock() - t0) / 1e6 / len(sample), 3)
    return {
        "messages": count, "mean_ms": round(statistics.fmean(times), 3),
        **{f"p{q}_ms": round(percentile(times, q), 3) for q in (50, 90, 99)},
        "max_ms": round(times[-1], 3),
        "long_messages": len(long_times),
        "long_p50_ms": round(percentile(long_times, 50), 3) if long_times else None,
        "single_core_msg_per_s": round(1000 / statistics.fmean(times), 1),
        "serialise_mean_ms": round(serialise_ms, 3),
        "model_cost": {"messages": len(sample), "rules_only_mean_ms": rules_only_ms,
                       "with_model_mean_ms": with_model_ms},
    }


def cold_start(runs: int) -> dict[str, Any]:
    """Median wall time of fresh processes (one unmeasured run first warms the disk and bytecode caches)."""
    commands = {
        "anning_check_json": [*anning_command(), "check", SAMPLE, "--json"],
        "import_anning_engine": [sys.executable, "-c", "import anning.engine"],
        "python_baseline": [sys.executable, "-c", "pass"],
        "anning_check_json_no_bytecode": [*anning_command(), "check", SAMPLE, "--json"],
    }
    out: dict[str, Any] = {"runs": runs}
    for name, cmd in commands.items():
        env = bench_env(bytecode=not name.endswith("no_bytecode"))
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        walls = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            walls.append(time.perf_counter() - t0)
        out[name] = {"median_s": round(statistics.median(walls), 3), "min_s": round(min(walls), 3),
                     "max_s": round(max(walls), 3)}
        if name.endswith("no_bytecode"):  # a throw-away empty cache dir
            shutil.rmtree(env["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    return out


def profile(count: int, top: int = 15) -> dict[str, Any]:
    """cProfile of Engine.analyze over ``count`` messages, and the slowest imports of ``anning check``."""
    from anning.engine import Engine

    engine = Engine()
    rows = list(generate.generate_rows(count, SEED + 2))
    for row in rows[:100]:
        engine.analyze(row["text"], row["sender"], row["received_at"])
    prof = cProfile.Profile()
    prof.enable()
    for row in rows:
        engine.analyze(row["text"], row["sender"], row["received_at"])
    prof.disable()
    tables = {}
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        tables[key] = buf.getvalue()
    env = {"PYTHONPROFILEIMPORTTIME": "1"}
    cmd = [*anning_command(), "check", SAMPLE, "--json"]
    res = subprocess.run(cmd, env={**bench_env(), **env}, capture_output=True, text=True, check=True)
    imports = []
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            imports.append((int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    top_level = sorted((i for i in imports if i[1] == 0), reverse=True)[:top]
    return {"messages": count, "by_cumulative": tables["cumulative"], "by_tottime": tables["tottime"],
            "slowest_top_level_imports_ms": [(name, round(us / 1000, 1)) for us, _, name in top_level]}


def knowledge_info() -> dict[str, Any]:
    import anning
    from anning.engine import Engine

    t0 = time.perf_counter()
    engine = Engine()
    return {"package_version": anning.__version__, "path": str(Path(anning.__file__).parent),
            "engine_version": engine.version,
            "knowledge_version": engine.k.version, "engine_build_s": round(time.perf_counter() - t0, 3)}


def machine_info() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    try:
        commit = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {"nproc": os.cpu_count(), "platform": platform.platform(), "cpu": cpu,
            "python": platform.python_version(), "commit": commit}


# -- output --------------------------------------------------------------------------------------
def print_report(res: dict[str, Any]) -> None:
    m, a = res["machine"], res["anning"]
    print(f"\nanning {a['package_version']} · knowledge {a['knowledge_version']} · {res['date']}")
    print(f"{m['nproc']} cores ({m['cpu'] or 'unknown CPU'}) · {m['platform']} · Python {m['python']}")
    d = res["dataset"]
    print(f"input: {d['messages']:,} messages, mean {d['mean_chars']} chars, median {d['median_chars']}, "
          f"{d['long_share'] * 100:.1f}% ≥ 1,000 chars")
    print("\nbatch (real CLI, wall time includes interpreter start and knowledge loading)")
    head = ("format", "jobs", "model", "wall s", "msg/s", "msg/s/core", "msg/CPU-s", "max RSS 1 proc", "tree RSS",
            "tree PSS", "output", "other load")
    rows = [(b["format"], f"{b['jobs']} ({b['processes']}p)", "on" if b.get("model", True) else "off",
             f"{b['wall_s']:.1f}", f"{b['msg_per_s']:,.0f}",
             f"{b['msg_per_s_per_core']:,.0f}", f"{b['msg_per_cpu_s']:,.0f}",
             f"{b['max_rss_single_process_mb']} MB", f"{b['tree_peak_rss_sum_mb']} MB",
             f"{b['tree_peak_pss_sum_mb']} MB", f"{b['output_mb']} MB", f"{b['other_load_cores']:.2f} cores")
            for b in res["batch"]]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    for row in (head, *rows):
        print("  " + "  ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True)))
    print(f"  max RSS 1 proc: {res['batch'][0]['max_rss_method']} (largest single process of the tree);"
          " tree RSS/PSS: /proc sampled every 0.1 s, summed over the tree")
    if max(b["other_load_cores"] for b in res["batch"]) > 0.25:
        print("  WARNING: other processes used the CPU during the batch runs; throughput is understated.")
    lat = res["latency"]
    print(f"\nEngine.analyze latency over {lat['messages']:,} messages (in process, after warm-up)")
    print(f"  p50 {lat['p50_ms']:.3f} ms · p90 {lat['p90_ms']:.3f} ms · p99 {lat['p99_ms']:.3f} ms · "
          f"max {lat['max_ms']:.3f} ms · mean {lat['mean_ms']:.3f} ms "
          f"(= {lat['single_core_msg_per_s']:,.0f} msg/s on one core)")
    print(f"  verdict_to_dict + json.dumps (per batch row, not in the figures above): "
          f"mean {lat['serialise_mean_ms']:.3f} ms")
    cmp = lat["model_cost"]
    if cmp["rules_only_mean_ms"] is not None:
        print(f"  first {cmp['messages']:,} messages, mean: rules only (Engine(model=None)) "
              f"{cmp['rules_only_mean_ms']:.3f} ms, with the learned classifier {cmp['with_model_mean_ms']:.3f} ms")
    if lat["long_messages"]:
        print(f"  messages ≥ 1,000 chars: {lat['long_messages']}, p50 {lat['long_p50_ms']:.3f} ms")
    cs = res["cold_start"]
    print(f"\ncold start (fresh process, median of {cs['runs']})")
    for name, label in (("anning_check_json", 'anning check "…" --json'),
                        ("import_anning_engine", 'python -c "import anning.engine"'),
                        ("python_baseline", 'python -c "pass"  (interpreter floor)'),
                        ("anning_check_json_no_bytecode", 'anning check, no bytecode cache')):
        c = cs[name]
        print(f"  {label:40} {c['median_s']:.3f} s  (min {c['min_s']:.3f}, max {c['max_s']:.3f})")
    print(f"  Engine() build in a warm process: {a['engine_build_s']:.3f} s")
    t = res["targets"]
    print("\ntargets")
    print(f"  ≥ 5,000 msg/s per core (first target): best {t['best_msg_per_s_per_core']:,.0f} → "
          f"{'met' if t['per_core_first_target_met'] else 'not met'}")
    print(f"  20,000 msg/s per core (long-run goal): {t['best_msg_per_s_per_core'] / 20000:.0%} of it")
    print(f"  cold start ≤ 0.3 s: {cs['anning_check_json']['median_s']:.3f} s → "
          f"{'met' if t['cold_start_met'] else 'not met'}")
    if "profile" in res:
        p = res["profile"]
        print(f"\ncProfile of Engine.analyze over {p['messages']:,} messages "
              "(profiler overhead inflates times)")
        print(p["by_cumulative"])
        print(p["by_tottime"])
        print("slowest top-level imports of `anning check` (ms, cumulative):")
        for name, ms in p["slowest_top_level_imports_ms"]:
            print(f"  {ms:8.1f}  {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="messages for the batch runs (default 100,000)")
    ap.add_argument("--quick", action="store_true", help="5,000 messages (latency over 2,000): about a minute")
    ap.add_argument("--latency-n", type=int, default=0, help="messages for the latency figure "
                    "(default 5,000; 2,000 with --quick)")
    ap.add_argument("--cold-runs", type=int, default=7, help="fresh processes per cold-start figure")
    ap.add_argument("--profile", action="store_true", help="add cProfile and import-time breakdowns")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                    help="before each phase, wait up to SECONDS for other processes to leave the CPU idle")
    ap.add_argument("--no-cache", action="store_true", help="generate input in a temp dir, not results/")
    ap.add_argument("--output", type=Path, default=RESULTS / "latest.json", help="where to write the JSON")
    args = ap.parse_args()
    n = 5000 if args.quick else args.n
    RESULTS.mkdir(exist_ok=True)
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="anning-bench-") as tmpdir:
        tmp = Path(tmpdir)
        jsonl = dataset(n, ".jsonl", not args.no_cache, tmp)
        parquet = dataset(n, ".parquet", not args.no_cache, tmp)
        lengths = [len(json.loads(line)["text"]) for line in jsonl.open(encoding="utf-8")]
        res: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
            "machine": machine_info(), "anning": knowledge_info(),
            "dataset": {"messages": n, "seed": SEED, "generator_version": generate.GENERATOR_VERSION,
                        "mean_chars": round(statistics.fmean(lengths), 1),
                        "median_chars": statistics.median(lengths),
                        "long_share": round(sum(x >= 1000 for x in lengths) / n, 4),
                        "jsonl_mb": round(jsonl.stat().st_size / 2**20, 1)},
            "batch": [],
        }
        for src, jobs, model in ((jsonl, 1, True), (jsonl, 0, True), (parquet, 0, True), (jsonl, 1, False),
                                 (jsonl, 0, False)):
            if args.wait_idle:
                wait_idle(args.wait_idle)
            print(f"  batch {src.suffix} --jobs {jobs}{'' if model else ' --no-model'} …", file=sys.stderr)
            res["batch"].append(run_batch_cli(src, tmp / f"out-{jobs}-{model}{src.suffix}", jobs, n, model))
        shutil.rmtree(tmp, ignore_errors=True)
    if args.wait_idle:
        wait_idle(args.wait_idle)
    print("  latency …", file=sys.stderr)
    latency_n = args.latency_n or (2000 if args.quick else 5000)
    res["latency"] = latency(latency_n, compare=1000 if args.quick else 2000)
    print("  cold start …", file=sys.stderr)
    res["cold_start"] = cold_start(args.cold_runs)
    best = max(b["msg_per_s_per_core"] for b in res["batch"])
    res["targets"] = {
        "per_core_first_target": 5000, "per_core_long_run_goal": 20000, "cold_start_s": 0.3,
        "best_msg_per_s_per_core": best, "per_core_first_target_met": best >= 5000,
        "cold_start_met": res["cold_start"]["anning_check_json"]["median_s"] <= 0.3,
    }
    if args.profile:
        print("  profile …", file=sys.stderr)
        res["profile"] = profile(2000)
    res["benchmark_wall_s"] = round(time.perf_counter() - started, 1)
    res["machine"]["commit_at_end"] = machine_info()["commit"]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_report(res)
    if res["machine"]["commit_at_end"] != res["machine"]["commit"]:
        print(f"\nWARNING: the checkout changed during the run ({res['machine']['commit']} → "
              f"{res['machine']['commit_at_end']}); the figures mix code versions.")
    print(f"\nfigures → {args.output} (benchmark took {res['benchmark_wall_s']} s)")


if __name__ == "__main__":
    main()
