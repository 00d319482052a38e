"""Verdicts for records being stored: one engine in this process, or a pool of worker processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from anning.evidence.records import RawRecord

_worker_engine = None


def _verdicts(engine, items: Sequence[tuple[str, str | None, str | None]]) -> list[dict[str, Any] | None]:
    """Verdict dicts for (text, sender, received_at) items, analysed as one batch; None where the input
    cannot be read (the message is kept, without a verdict)."""
    from anning.explain import verdict_to_dict

    out: list[dict[str, Any] | None] = []
    for result in engine.analyze_batch([(text, sender, at, None) for text, sender, at in items]):
        if isinstance(result, ValueError):
            out.append(None)
            continue
        if isinstance(result, Exception):
            raise result
        verdict = verdict_to_dict(result)
        verdict.pop("message", None)
        out.append(verdict)
    return out


def _init_worker(model: str | None) -> None:
    global _worker_engine
    from anning.engine import Engine

    _worker_engine = Engine(model=model)
    from anning.scale.arrow import freeze_heap

    freeze_heap(_worker_engine)


def _work(items: list[tuple[str, str | None, str | None]]) -> list[dict[str, Any] | None]:
    return _verdicts(_worker_engine, items)


class Analyser:
    """Use as a context manager; ``jobs`` 1 analyses in this process, 0 uses every core."""

    def __init__(self, jobs: int = 1, engine=None, model: str | None = "auto"):
        self.jobs = jobs or os.cpu_count() or 1
        self.engine = engine
        self.model = model
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Analyser:
        if self.engine is None and self.jobs == 1:
            from anning.engine import Engine

            self.engine = Engine(model=self.model)
        elif self.engine is None:
            self.pool = ProcessPoolExecutor(self.jobs, initializer=_init_worker, initargs=(self.model,))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def verdicts(self, records: Sequence[RawRecord], times: Sequence[str | None]) -> list[dict[str, Any] | None]:
        """One verdict per record (None for calls and empty texts); ``times`` are the stored times."""
        return self.submit(records, times)()

    def submit(self, records: Sequence[RawRecord],
               times: Sequence[str | None]) -> Callable[[], list[dict[str, Any] | None]]:
        """Start analysing; the returned function waits for the verdicts. With a pool, the caller can
        store the previous batch while the workers analyse this one."""
        todo = [i for i, r in enumerate(records) if r.record_type != "call" and r.text.strip()]
        items = [(records[i].text, records[i].sender, times[i]) for i in todo]
        if self.pool is None:
            done = _verdicts(self.engine, items)
            futures = None
        else:
            size = max(1, -(-len(items) // (self.jobs * 2)))
            futures = [self.pool.submit(_work, items[i:i + size]) for i in range(0, len(items), size)]

        def result() -> list[dict[str, Any] | None]:
            results = done if futures is None else [v for f in futures for v in f.result()]
            out: list[dict[str, Any] | None] = [None] * len(records)
            for i, verdict in zip(todo, results, strict=True):
                out[i] = verdict
            return out

        return result
