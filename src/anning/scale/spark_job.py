"""Parquet in → verdict Parquet out on Apache Spark (local mode or a cluster via spark-submit).

    python -m anning.scale.spark_job messages.parquet verdicts.parquet --master 'local[*]'
    spark-submit --master yarn --conf spark.pyspark.python=/opt/anning/bin/python \\
        $(python -c 'import anning.scale.spark_job as m; print(m.__file__)') in.parquet out.parquet
    python -m anning.scale.spark_job in.parquet out.parquet --aggregate-out tables/   # also the tables

The output is a Parquet directory (one part file per partition) with the schema of ``anning batch``.
Under spark-submit the master comes from spark-submit; ``--master`` is for running with plain Python.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="anning on Spark: Parquet → verdict Parquet（Spark 批量分析）")
    ap.add_argument("src", help="input Parquet (file, directory or glob); needs a 'text' column")
    ap.add_argument("dst", help="output Parquet directory (overwritten)")
    ap.add_argument("--partitions", type=int, default=0, help="repartition the input into N partitions")
    ap.add_argument("--master", default=None, help="Spark master when not under spark-submit, e.g. local[2]")
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--no-model", action="store_true", help="rules only (no learned classifier)")
    ap.add_argument("--text-col", default="text")
    ap.add_argument("--sender-col", default="sender")
    ap.add_argument("--time-col", default="received_at")
    ap.add_argument("--id-col", default="id")
    ap.add_argument("--keep", action="append", default=[], metavar="COLUMNS",
                    help="further input columns (comma-separated) copied into the output, as `anning batch --keep`")
    ap.add_argument("--aggregate-out", default=None, help="also write the aggregation tables here (Parquet)")
    ap.add_argument("--timing", action="store_true", help="write DST.timing.json (session, analysis seconds)")
    args = ap.parse_args(argv)

    from anning.scale import spark as anning_spark

    t0 = time.perf_counter()
    anning_spark.python_env()
    from pyspark.sql import SparkSession

    ours = SparkSession.getActiveSession() is None  # stop only a session this job started
    if args.master:
        spark = anning_spark.session(args.master, shuffle_partitions=args.partitions or None)
    else:
        spark = SparkSession.builder.appName("anning").getOrCreate()
    t1 = time.perf_counter()
    df = anning_spark.with_row_numbers(spark.read.parquet(args.src))  # file order, before any shuffle
    if args.partitions:
        # ranges of row numbers keep the output part files in input order
        row = anning_spark.ROW_COLUMN
        df = df.repartitionByRange(args.partitions, row).sortWithinPartitions(row)
    extra = [c.strip() for value in args.keep for c in value.split(",") if c.strip()]
    keep = [c for c in dict.fromkeys((args.text_col, args.sender_col, args.time_col)) if c in df.columns] + extra
    verdicts = anning_spark.analyze(df, text_col=args.text_col, sender_col=args.sender_col, time_col=args.time_col,
                                    id_col=args.id_col, lang=args.lang, model=None if args.no_model else "auto",
                                    keep=list(dict.fromkeys(keep)))
    verdicts.write.mode("overwrite").option("compression", "zstd").parquet(args.dst)
    t2 = time.perf_counter()
    if args.aggregate_out:
        tables = anning_spark.aggregate(spark.read.parquet(args.dst))
        for name, table in tables.items():
            table.coalesce(1).write.mode("overwrite").parquet(str(Path(args.aggregate_out) / name))
    t3 = time.perf_counter()
    if args.timing:
        timing = {"session_s": round(t1 - t0, 2), "analyse_s": round(t2 - t1, 2), "aggregate_s": round(t3 - t2, 2),
                  "partitions": verdicts.rdd.getNumPartitions()}
        Path(args.dst.rstrip("/") + ".timing.json").write_text(json.dumps(timing))
    print(f"{args.src} → {args.dst}", file=sys.stderr)
    if ours:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
