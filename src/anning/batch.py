"""Batch analysis of JSONL / CSV / Parquet files with all cores.

One output row per input row, in input order. A row that cannot be analysed gets an ``error`` field
and the batch goes on. Parquet support needs the ``parquet`` extra (pyarrow), imported only here.
Parquet output uses the Arrow verdict schema of ``anning.scale.arrow``; Parquet → Parquet runs entirely
in Arrow record batches (``run_parquet``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from anning.explain import SHARED_PARTS, dumps, part_json

FORMATS = (".jsonl", ".csv", ".parquet")
SCALAR_COLUMNS = ("id", "kind", "confidence", "risk", "risk_level", "flags")
JSON_COLUMNS = ("signals", "entities", "violations", "scenario", "actions", "flag_evidence")
TAIL_COLUMNS = ("error", "engine_version", "knowledge_version")
CHUNK = 256
PARQUET_ROWS_PER_GROUP = 2048  # rows buffered per Parquet row group: bounds the writer's memory
ARROW_BATCH_ROWS = 512  # Parquet → Parquet: rows per record batch handed to a worker
ARROW_READ_AHEAD = 3  # batches in flight per worker
ARROW_ROWS_PER_GROUP = 4096  # output rows per Parquet row group (about 6 KB a row: bounds the writer buffer)


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


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        first = fh.readline()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return next(csv.reader([first.decode(encoding)]), [])
        except UnicodeDecodeError:
            continue
    return []  # pragma: no cover - gb18030 decodes any byte string


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
    from anning.scale.arrow import get_engine

    _worker_engine = get_engine(lang, model, personal_home)


def analyse_row(engine, row: dict[str, Any], row_number: int) -> dict[str, Any]:
    """Analyse one input row into the JSON form (verdict plus ``id``); never raises.

    ``violations``, ``scenario`` and ``actions`` are shared between rows (``shared_verdict_dict``):
    read them, never change them."""
    from anning.scale.arrow import analyse_one

    return _json_form(row, *analyse_one(engine, row, row_number))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: Any) -> Any:
    """A value copied from the input, made writable as UTF-8: a lone surrogate (a JSON escape such as
    "\\ud800" decodes to one) becomes U+FFFD. The row's analysis says what was wrong with its text."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _json_form(row: dict[str, Any], rid: Any, verdict: Any, error: str | None) -> dict[str, Any]:
    from anning.explain import shared_verdict_dict

    rid = _clean(rid)
    if verdict is None:
        return {"id": rid, "error": error}
    return {"id": rid, **shared_verdict_dict(verdict, message=False)}


def arrow_row(engine, row: dict[str, Any], row_number: int) -> dict[str, Any]:
    """Analyse one input row into a row of the Arrow/Parquet verdict schema (``anning.scale.arrow``),
    with the kept input columns as strings; never raises."""
    from anning.scale.arrow import analyse_one

    return _arrow_form(row, *analyse_one(engine, row, row_number))


def _arrow_form(row: dict[str, Any], rid: Any, verdict: Any, error: str | None) -> dict[str, Any]:
    from anning.scale.arrow import DEFAULT_KEEP, record

    out = record(_clean(rid), verdict, error)
    for key in DEFAULT_KEEP:
        value = row.get(key)
        out[key] = None if value is None else _clean(str(value))
    return out


def _analyse_chunk(chunk: list[tuple[int, dict[str, Any]]], output: str = "json",
                   keep: tuple[str, ...] = ()) -> list[Any]:
    """One chunk, analysed by a worker into the form its writer needs (see ``analyse_rows``): the
    workers, not the parent, encode the output, so the parent only reads and writes."""
    from anning.scale.arrow import analyse_many

    results = analyse_many(_worker_engine, [(row, n) for n, row in chunk])
    out: list[Any] = []
    for (_, row), result in zip(chunk, results, strict=True):
        if output == "arrow":
            item = _arrow_form(row, *result)
            for key in keep:
                if key not in item:  # text, sender, received_at are there already
                    item[key] = _cell(_clean(row.get(key)))
            out.append(item)
            continue
        item = _json_form(row, *result)
        if keep:
            item["input"] = {key: _clean(row.get(key)) for key in keep}
        if output == "jsonl":
            out.append(Encoded(json_line(item), result[2] is not None))
        elif output == "csv":
            flat = flat_row(item, csv_mode=True)
            flat.update((key, _cell(_clean(row.get(key)))) for key in keep)
            out.append(Encoded(flat, result[2] is not None))
        else:
            out.append(item)
    return out


class Encoded(NamedTuple):
    """A row encoded for its output file (a JSON line, or a CSV row of strings) and whether it failed."""

    value: Any
    error: bool


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    numbered = enumerate(rows, 1)
    while chunk := list(islice(numbered, size)):
        yield chunk


def analyse_rows(rows: Iterable[dict[str, Any]], jobs: int = 0, lang: str = "zh",
                 on_progress: Callable[[int], None] | None = None,
                 model: str | None = "auto", personal_home: str | None = None,
                 output: str = "json", keep: Sequence[str] = ()) -> Iterator[Any]:
    """Analyse rows in order with ``jobs`` processes (0 = all cores, 1 = in this process).

    ``personal_home``: directory of the user's personal rules and model (None: ignore them).
    ``output``: "json" (the verdict dict plus ``id``), "arrow" (rows of the Parquet verdict schema), or
    the encoded rows of a file: "jsonl" (``Encoded`` JSON lines) or "csv" (``Encoded`` CSV rows).
    ``keep``: input columns carried along (see ``run_batch``)."""
    keep = tuple(keep)
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1:
        _init_worker(lang, model, personal_home)
        for chunk in _chunks(rows, CHUNK):
            out = _analyse_chunk(chunk, output, keep)
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
            pending.append(pool.submit(_analyse_chunk, chunk, output, keep))
        while pending:
            out = pending.pop(0).result()
            nxt = next(source, None)
            if nxt is not None:
                pending.append(pool.submit(_analyse_chunk, nxt, output, keep))
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
        row[key] = None if value is None else _json(value)
    for key in TAIL_COLUMNS:
        row[key] = result.get(key)
    return row


def _json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``, cached for the shared parts of a verdict."""
    text = part_json(value)
    return dumps(value) if text is None else text


def json_line(result: dict[str, Any]) -> str:
    """``json.dumps(result, ensure_ascii=False)``, with the cached JSON text of shared verdict parts
    spliced in instead of encoding them again."""
    pieces: list[str] = []
    plain: dict[str, Any] = {}
    for key, value in result.items():
        text = part_json(value) if key in SHARED_PARTS else None
        if text is None:
            plain[key] = value
            continue
        if plain:
            pieces.append(dumps(plain)[1:-1])
            plain = {}
        pieces.append(f"{dumps(key)}: {text}")
    if not pieces:
        return dumps(result)
    if plain:
        pieces.append(dumps(plain)[1:-1])
    return "{" + ", ".join(pieces) + "}"


@dataclass
class Writer:
    """``keep``: input columns copied into each row (JSONL: under ``input``; CSV, Parquet: after the
    verdict columns, as given in the ``input`` of the row passed to ``write``)."""

    path: Path
    fmt: str
    keep: tuple[str, ...] = ()

    def __enter__(self) -> Writer:
        self.count = 0
        self.errors = 0
        if self.fmt == ".jsonl":
            self._fh = self.path.open("w", encoding="utf-8")
        elif self.fmt == ".csv":
            columns = [*SCALAR_COLUMNS, *JSON_COLUMNS, *TAIL_COLUMNS]
            _refuse_taken(self.keep, columns)
            self._fh = self.path.open("w", encoding="utf-8", newline="")
            self._csv = csv.DictWriter(self._fh, fieldnames=[*columns, *self.keep])
            self._csv.writeheader()
        else:
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError as exc:
                raise BatchError("Parquet needs pyarrow: pip install 'anning[parquet]'") from exc
            from anning.scale.arrow import DEFAULT_KEEP, verdict_schema

            self._pa = pa
            self._extra = tuple(c for c in self.keep if c not in DEFAULT_KEEP)
            try:
                self._schema = verdict_schema([pa.field(c, pa.string()) for c in (*DEFAULT_KEEP, *self._extra)])
            except ValueError as exc:
                raise BatchError(str(exc)) from exc
            self._pq = pq.ParquetWriter(self.path, self._schema, compression="zstd")
            self._buffer: list[dict[str, Any]] = []
        return self

    def write(self, result: Any) -> None:
        """``result``: an ``Encoded`` row for .jsonl/.csv (``analyse_rows`` output "jsonl"/"csv"), an
        Arrow-form row for .parquet (output "arrow")."""
        self.count += 1
        if self.fmt == ".jsonl":
            self.errors += result.error
            self._fh.write(result.value + "\n")
        elif self.fmt == ".csv":
            self.errors += result.error
            self._csv.writerow(result.value)
        else:
            self.errors += result.get("error") is not None
            self._buffer.append(result)
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
              personal_home: str | None = None, keep: Sequence[str] = ()) -> tuple[int, int]:
    """Analyse ``src`` into ``dst``; returns (rows written, rows with an error).

    ``keep``: input columns copied into each output row — JSONL: in an ``input`` object; CSV and
    Parquet: as columns after the verdict columns (a name the output already uses is refused). A CSV
    or Parquet input must have them; a JSONL row without one gets null.

    The output is written to a temporary file and moved into place only when complete, so a crash
    never leaves a half-written result that looks finished.
    """
    out_fmt = file_format(dst)
    in_fmt = file_format(src)
    if not src.is_file():
        raise BatchError(f"{src}: not a file")
    keep = tuple(dict.fromkeys(keep))
    _check_columns(src, in_fmt, keep)
    tmp = dst.with_name(f".{dst.name}.partial")
    try:
        if in_fmt == out_fmt == ".parquet":
            count, errors = run_parquet(src, tmp, jobs, lang, on_progress, model, personal_home, keep)
        else:
            output = {".parquet": "arrow", ".csv": "csv"}.get(out_fmt, "jsonl")
            with Writer(tmp, out_fmt, keep) as w:
                for result in analyse_rows(read_rows(src), jobs, lang, on_progress, model, personal_home, output,
                                           keep):
                    w.write(result)
            count, errors = w.count, w.errors
        tmp.replace(dst)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count, errors


def _cell(value: Any) -> str | None:
    """A kept JSON value as a CSV/Parquet string cell: text as is, anything else as JSON."""
    return value if value is None or isinstance(value, str) else _json(value)


def _refuse_taken(keep: Iterable[str], columns: Iterable[str]) -> None:
    taken = [c for c in keep if c in set(columns)]
    if taken:
        raise BatchError(f"input column '{taken[0]}' cannot be kept: the output has a column of that name")


def _check_columns(src: Path, fmt: str, keep: tuple[str, ...]) -> None:
    """A kept column must exist in a CSV header or Parquet schema (JSONL rows may differ)."""
    if not keep or fmt == ".jsonl":
        return
    if fmt == ".csv":
        names = _csv_header(src)
    else:
        try:
            import pyarrow.parquet as pq

            names = pq.ParquetFile(src).schema_arrow.names
        except ImportError as exc:
            raise BatchError("Parquet needs pyarrow: pip install 'anning[parquet]'") from exc
        except Exception as exc:
            raise BatchError(f"{src}: not a readable Parquet file ({exc})") from exc
    missing = [c for c in keep if c not in names]
    if missing:
        raise BatchError(f"{src}: no column {', '.join(repr(c) for c in missing)} to keep")


# -- Parquet → Parquet in Arrow record batches ------------------------------------------------------
def _analyse_arrow(batch: Any, offset: int, keep: Sequence[str] | None = None) -> Any:
    from anning.scale.arrow import analyse_batch

    return analyse_batch(batch, _worker_engine, row_offset=offset, keep=keep)


def _numbered_batches(pf: Any, columns: list[str]) -> Iterator[tuple[Any, int]]:
    offset = 0
    for batch in pf.iter_batches(batch_size=ARROW_BATCH_ROWS, columns=columns):
        yield batch, offset
        offset += batch.num_rows


def run_parquet(src: Path, dst: Path, jobs: int = 0, lang: str = "zh",
                on_progress: Callable[[int], None] | None = None, model: str | None = "auto",
                personal_home: str | None = None, keep: Sequence[str] = ()) -> tuple[int, int]:
    """Parquet → Parquet with ``anning.scale.arrow.analyse_batch``: record batches of
    ``ARROW_BATCH_ROWS`` rows are read lazily, analysed by ``jobs`` processes with at most
    ``jobs × ARROW_READ_AHEAD`` batches in flight, and written in order as row groups of about
    ``ARROW_ROWS_PER_GROUP`` rows, so memory stays bounded whatever the file size.
    ``keep``: input columns copied after the verdict columns besides text, sender and received_at.
    Returns (rows written, rows with an error)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BatchError("Parquet needs pyarrow: pip install 'anning[parquet]'") from exc
    from anning.scale.arrow import DEFAULT_KEEP, error_count, verdict_schema

    try:
        pf = pq.ParquetFile(src)
    except (OSError, pa.ArrowException) as exc:
        raise BatchError(f"{src}: not a readable Parquet file ({exc})") from exc
    names = pf.schema_arrow.names
    if "text" not in names:
        raise BatchError(f"{src}: Parquet file has no 'text' column")
    kept = [c for c in dict.fromkeys((*DEFAULT_KEEP, *keep)) if c in names]
    columns = list(dict.fromkeys(("id", *kept) if "id" in names else kept))
    try:
        schema = verdict_schema([pf.schema_arrow.field(c) for c in kept])
    except ValueError as exc:
        raise BatchError(str(exc)) from exc
    jobs = jobs or os.cpu_count() or 1
    count = errors = 0
    buffer: list[Any] = []
    buffered = 0
    with pq.ParquetWriter(dst, schema, compression="zstd") as writer:

        def emit(out: Any) -> None:
            nonlocal count, errors, buffered
            count += out.num_rows
            errors += error_count(out)
            buffer.append(out)
            buffered += out.num_rows
            if buffered >= ARROW_ROWS_PER_GROUP:
                flush()
            if on_progress:
                on_progress(out.num_rows)

        def flush() -> None:
            nonlocal buffered
            if buffer:
                writer.write_table(pa.Table.from_batches(buffer, schema=schema), row_group_size=buffered)
                buffer.clear()
                buffered = 0

        source = _numbered_batches(pf, columns)
        if jobs == 1:
            _init_worker(lang, model, personal_home)
            for batch, offset in source:
                emit(_analyse_arrow(batch, offset, kept))
        else:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                     initargs=(lang, model, personal_home)) as pool:
                pending = deque(pool.submit(_analyse_arrow, b, o, kept)
                                for b, o in islice(source, jobs * ARROW_READ_AHEAD))
                while pending:
                    out = pending.popleft().result()
                    nxt = next(source, None)
                    if nxt is not None:
                        pending.append(pool.submit(_analyse_arrow, *nxt, kept))
                    emit(out)
        flush()
    return count, errors
