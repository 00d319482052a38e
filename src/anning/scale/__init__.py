"""Screening at scale: one Arrow record-batch analyser (``arrow.analyse_batch``) used by ``anning batch``
for Parquet, by Apache Spark (``spark``) and by the aggregation reports (``aggregate``).

Everything here imports pyarrow, duckdb or pyspark lazily, so ``import anning`` stays light."""
