"""``anning.spark``: the Spark API (an alias of ``anning.scale.spark``); needs ``anning[spark]``."""

from anning.scale.spark import ROW_COLUMN, aggregate, analyze, python_env, session, spark_schema, with_row_numbers

__all__ = ["ROW_COLUMN", "aggregate", "analyze", "python_env", "session", "spark_schema", "with_row_numbers"]
