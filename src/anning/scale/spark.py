"""Apache Spark backend: the same ``analyse_batch`` in ``DataFrame.mapInArrow``, and the same aggregation SQL.

    from anning.scale import spark as anning_spark          # or: import anning.spark
    spark = anning_spark.session("local[*]")                # or your cluster's SparkSession
    verdicts = anning_spark.analyze(spark.read.parquet("messages.parquet"))
    verdicts.write.parquet("verdicts.parquet")
    tables = anning_spark.aggregate(verdicts)               # {"by_platform": DataFrame, ...}

Needs ``pip install 'anning[spark]'`` on the driver and every executor (workers import ``anning``).
The engine is built once per Python worker process and reused for every batch it is given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

ROW_COLUMN = "__anning_row"
_POSITION_BITS = 33  # monotonically_increasing_id(): partition id << 33 | position in partition


def python_env() -> None:
    """Point Spark's Python workers at this interpreter (with anning installed) unless already set."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


def session(master: str = "local[*]", app_name: str = "anning", shuffle_partitions: int | None = None,
            **conf: str) -> SparkSession:
    """A SparkSession suitable for anning (Arrow on, UTC session time zone, quiet logs)."""
    python_env()
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_schema(arrow_schema: pa.Schema) -> Any:
    """The Spark StructType of an Arrow schema (the verdict columns map to plain Spark SQL types)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_schema)


def with_row_numbers(df: DataFrame, column: str = ROW_COLUMN) -> DataFrame:
    """Add ``column``: the 1-based row number in the DataFrame's current partition order, which for a
    Parquet read is the file order (so rows without an id get the same number as in ``anning batch``).
    Call it before any repartitioning. One cheap native counting pass; no data goes through Python."""
    from pyspark.sql import functions as F

    mid = F.monotonically_increasing_id()
    counts = df.select(F.spark_partition_id().alias("p")).groupBy("p").count().orderBy("p").collect()
    pairs, total = [], 0
    for row in counts:
        pairs += [F.lit(int(row["p"])), F.lit(total)]
        total += int(row["count"])
    if not pairs:
        return df.withColumn(column, F.lit(None).cast("long"))
    offset = F.element_at(F.create_map(*pairs), F.shiftright(mid, _POSITION_BITS))
    return df.withColumn(column, offset + mid.bitwiseAND(F.lit((1 << _POSITION_BITS) - 1)) + 1)


def analyze(df: DataFrame, text_col: str = "text", sender_col: str = "sender", time_col: str = "received_at",
            id_col: str = "id", lang: str = "zh", model: str | None = "auto", keep: Sequence[str] | None = None,
            number_rows: bool = True) -> DataFrame:
    """One verdict row per input row: the columns of ``anning.scale.arrow.verdict_schema`` and then the
    kept input columns (default: whichever of ``text_col``, ``sender_col``, ``time_col`` exist).

    ``model``: "auto" (the shipped classifier), None (rules only) or a model file path readable on the
    executors. Rows without an id get their row number, as in ``anning batch``: from the column
    ``__anning_row`` if ``with_row_numbers`` added it (do that before repartitioning), else computed here
    when ``number_rows`` (one extra native counting pass); with ``number_rows=False`` their id is None.
    """
    from anning.scale.arrow import verdict_schema

    names = df.columns
    if keep is None:
        keep = [c for c in dict.fromkeys((text_col, sender_col, time_col)) if c in names]
    missing = [c for c in keep if c not in names]
    if missing:
        raise ValueError(f"cannot keep {missing}: no such column in the DataFrame")
    wanted = [c for c in dict.fromkeys((id_col, text_col, sender_col, time_col, *keep)) if c in names]
    if ROW_COLUMN in names:
        src = df.select(*wanted, ROW_COLUMN)
    elif number_rows:
        src = with_row_numbers(df.select(*wanted))
    else:
        src = df.select(*wanted)
    numbered = ROW_COLUMN in src.columns

    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    # The Arrow types Spark hands over for the kept columns; the output schema follows from them.
    kept_arrow = to_arrow_schema(df.select(*keep).schema) if keep else pa.schema([])
    out_schema = verdict_schema(list(kept_arrow))
    params = {"text_col": text_col, "sender_col": sender_col, "time_col": time_col, "id_col": id_col,
              "keep": list(keep), "lang": lang, "model": model}

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from anning.scale.arrow import analyse_batch

        for batch in batches:
            numbers = batch.column(ROW_COLUMN).to_pylist() if numbered else [None] * batch.num_rows
            out = analyse_batch(batch, row_numbers=numbers, **params)
            yield out.replace_schema_metadata(None)

    return src.mapInArrow(run, spark_schema(out_schema))


def aggregate(verdicts: DataFrame, limit: int | None = None, view: str = "anning_verdicts") -> dict[str, DataFrame]:
    """The tables of ``anning aggregate`` (same SQL as the DuckDB version) over a verdict DataFrame;
    ``{name: DataFrame}``, lazily evaluated. The DataFrame is registered as the temporary view ``view``."""
    from pyspark.sql import functions as F

    from anning.scale.aggregate import DEFAULT_LIMIT, OPTIONAL_COLUMNS, queries

    for col in OPTIONAL_COLUMNS:
        if col not in verdicts.columns:
            verdicts = verdicts.withColumn(col, F.lit(None).cast("string"))
    verdicts.createOrReplaceTempView(view)
    spark = verdicts.sparkSession
    return {name: spark.sql(sql) for name, sql in queries("spark", view, limit or DEFAULT_LIMIT).items()}
