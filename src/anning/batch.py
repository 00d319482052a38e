"""Batch analysis of JSONL / CSV / Parquet files with all cores.

One output row per input row, in input order. A row that cannot be analysed gets an ``error`` field
and the batch goes on. Parquet support needs the ``parquet`` extra (pyarrow), imported only here.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

FORMATS = (".jsonl", ".csv", ".parquet")
SCALAR_COLUMNS = ("id", "kind", "confidence", "risk", "risk_level", "flags")
JSON_COLUMNS = ("signals", "entities", "violations", "scenario", "actions", "flag_evidence")
TAIL_COLUMNS = ("error", "engine_version", "knowledge_version")
CHUNK = 256
PARQUET_ROWS_PER_GROUP = 2048  # rows buffered per Parquet row group: bounds the writer's memory


class BatchError(ValueError):
    """The batch cannot start (unknown format, unreadable file); row problems never raise this."""


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BatchError(f"{path}: unsupported format '{suffix}' (use .jsonl, .csv or .parquet)")
    return suffix


# -- reading -------------------------------------------------------------------------------------
def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Yield input rows as dicts; a malformed line becomes ``{"__error__": ...}`` instead of raising."""
    fmt = file_format(path)
    if not path.is_file():
        raise BatchError(f"{path}: not a file")
    if fmt == ".jsonl":
        yield from _read_jsonl(path)
    elif fmt == ".csv":
        yield from _read_csv(path)
    else:
        yield from _read_parquet(path)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line:
                continue
            try:
                row = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield {"__error__": f"line {n}: not valid UTF-8 JSON ({exc.__class__.__name__})"}
                continue
            yield row if isinstance(row, dict) else {"__error__": f"line {n}: not a JSON object"}


def _read_csv(path: Path) -> Iterator[dict[str, Any]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise BatchError(f"{path}: cannot decode as UTF-8 or GB18030")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or "text" not in reader.fieldnames:
        raise BatchError(f"{path}: CSV needs a header row with a 'text' column")
    yield from reader


def _read_parquet(path: Path) -> Iterator[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BatchError("Parquet needs pyarrow: pip install 'anning[parquet]'") from exc
    pf = pq.ParquetFile(path)
    if "text" not in pf.schema_arrow.names:
        raise BatchError(f"{path}: Parquet file has no 'text' column")
    for batch in pf.iter_batches(batch_size=4096):
        yield from batch.to_pylist()


def count_rows(path: Path) -> int | None:
    fmt = file_format(path)
    if fmt == ".parquet":
        try:
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        except Exception:
            return None
    with path.open("rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    return lines - 1 if fmt == ".csv" else lines


# -- analysis ------------------------------------------------------------------------------------
_worker_engine = None


def _init_worker(lang: str, model: str | None = "auto", personal_home: str | None = None) -> None:
    global _worker_engine
    from anning.engine import Engine
    from anning.personal import PersonalStore

    personal = PersonalStore(Path(personal_home)) if personal_home else None
    _worker_engine = Engine(lang=lang, model=model, personal=personal)


def analyse_row(engine, row: dict[str, Any], row_number: int) -> dict[str, Any]:
    """Analyse one input row; never raises."""
    from anning.explain import verdict_to_dict

    rid = row.get("id")
    rid = row_number if rid in (None, "") else rid
    if "__error__" in row:
        return {"id": rid, "error": row["__error__"]}
    text = row.get("text")
    if text is None:
        return {"id": rid, "error": "missing 'text' field"}
    if not isinstance(text, str):
        return {"id": rid, "error": f"'text' must be a string, got {type(text).__name__}"}
    sender = row.get("sender")
    sender = None if sender in (None, "") else str(sender)
    try:
        verdict = engine.analyze(text, sender, row.get("received_at") or None, message_id=str(rid))
    except ValueError as exc:
        return {"id": rid, "error": f"cannot analyse row: {exc}"}
    except Exception as exc:  # a bug must not stop the batch; the row records it
        return {"id": rid, "error": f"internal error: {exc.__class__.__name__}: {exc}"}
    out = {"id": rid, **verdict_to_dict(verdict)}
    out.pop("message", None)
    return out


def _analyse_chunk(chunk: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [analyse_row(_worker_engine, row, n) for n, row in chunk]


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    numbered = enumerate(rows, 1)
    while chunk := list(islice(numbered, size)):
        yield chunk


def analyse_rows(rows: Iterable[dict[str, Any]], jobs: int = 0, lang: str = "zh",
                 on_progress: Callable[[int], None] | None = None,
                 model: str | None = "auto", personal_home: str | None = None) -> Iterator[dict[str, Any]]:
    """Analyse rows in order with ``jobs`` processes (0 = all cores, 1 = in this process).

    ``personal_home``: directory of the user's personal rules and model (None: ignore them)."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1:
        _init_worker(lang, model, personal_home)
        for chunk in _chunks(rows, CHUNK):
            out = _analyse_chunk(chunk)
            if on_progress:
                on_progress(len(out))
            yield from out
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(lang, model, personal_home)) as pool:
        # Bounded read-ahead keeps memory flat on huge inputs while all workers stay busy.
        pending = []
        source = _chunks(rows, CHUNK)
        for chunk in islice(source, jobs * 4):
            pending.append(pool.submit(_analyse_chunk, chunk))
        while pending:
            out = pending.pop(0).result()
            nxt = next(source, None)
            if nxt is not None:
                pending.append(pool.submit(_analyse_chunk, nxt))
            if on_progress:
                on_progress(len(out))
            yield from out


# -- writing -------------------------------------------------------------------------------------
def flat_row(result: dict[str, Any], csv_mode: bool) -> dict[str, Any]:
    """CSV/Parquet row: scalar fields as is, nested fields as JSON strings."""
    row: dict[str, Any] = {}
    for key in SCALAR_COLUMNS:
        value = result.get(key)
        if key == "flags" and value is not None and csv_mode:
            value = ";".join(value)
        row[key] = value
    row["id"] = None if row["id"] is None else str(row["id"])
    for key in JSON_COLUMNS:
        value = result.get(key)
        row[key] = None if value is None else json.dumps(value, ensure_ascii=False)
    for key in TAIL_COLUMNS:
        row[key] = result.get(key)
    return row


@dataclass
class Writer:
    path: Path
    fmt: str

    def __enter__(self) -> Writer:
        self.count = 0
        self.errors = 0
        if self.fmt == ".jsonl":
            self._fh = self.path.open("w", encoding="utf-8")
        elif self.fmt == ".csv":
            self._fh = self.path.open("w", encoding="utf-8", newline="")
            self._csv = csv.DictWriter(self._fh, fieldnames=[*SCALAR_COLUMNS, *JSON_COLUMNS, *TAIL_COLUMNS])
            self._csv.writeheader()
        else:
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError as exc:
                raise BatchError("Parquet needs pyarrow: pip install 'anning[parquet]'") from exc
            self._pa = pa
            self._schema = pa.schema([
                ("id", pa.string()), ("kind", pa.string()), ("confidence", pa.float64()), ("risk", pa.int32()),
                ("risk_level", pa.string()), ("flags", pa.list_(pa.string())),
                *[(c, pa.string()) for c in JSON_COLUMNS], *[(c, pa.string()) for c in TAIL_COLUMNS],
            ])
            self._pq = pq.ParquetWriter(self.path, self._schema, compression="zstd")
            self._buffer: list[dict[str, Any]] = []
        return self

    def write(self, result: dict[str, Any]) -> None:
        self.count += 1
        self.errors += "error" in result
        if self.fmt == ".jsonl":
            self._fh.write(json.dumps(result, ensure_ascii=False) + "\n")
        elif self.fmt == ".csv":
            self._csv.writerow(flat_row(result, csv_mode=True))
        else:
            self._buffer.append(flat_row(result, csv_mode=False))
            if len(self._buffer) >= PARQUET_ROWS_PER_GROUP:
                self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._pq.write_table(self._pa.Table.from_pylist(self._buffer, schema=self._schema))
            self._buffer = []

    def __exit__(self, *exc: object) -> None:
        if self.fmt == ".parquet":
            self._flush()
            self._pq.close()
        else:
            self._fh.close()


def run_batch(src: Path, dst: Path, jobs: int = 0, lang: str = "zh",
              on_progress: Callable[[int], None] | None = None, model: str | None = "auto",
              personal_home: str | None = None) -> tuple[int, int]:
    """Analyse ``src`` into ``dst``; returns (rows written, rows with an error).

    The output is written to a temporary file and moved into place only when complete, so a crash
    never leaves a half-written result that looks finished.
    """
    out_fmt = file_format(dst)
    file_format(src)
    if not src.is_file():
        raise BatchError(f"{src}: not a file")
    rows = read_rows(src)
    tmp = dst.with_name(f".{dst.name}.partial")
    try:
        with Writer(tmp, out_fmt) as w:
            for result in analyse_rows(rows, jobs, lang, on_progress, model, personal_home):
                w.write(result)
        tmp.replace(dst)
    finally:
        if tmp.exists():
            tmp.unlink()
    return w.count, w.errors
