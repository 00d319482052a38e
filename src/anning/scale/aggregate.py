"""``anning aggregate``: patterns over a verdict Parquet file (the output of ``anning batch`` or of
``anning.scale.spark``) — who contacts third parties, threatens, works at night; which senders, links and
accounts run scams.

The tables are SQL written once (``QUERIES``) with two dialect placeholders, run by embedded DuckDB here
and by Spark SQL in ``anning.scale.spark.aggregate``, so both give the same tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FLAGS = ("threat", "legal_intimidation", "privacy_disclosure", "phishing_link", "payment_redirect", "urgency",
         "insult", "impersonation", "night_contact")
KINDS = ("collection_notice", "third_party_contact", "fake_collection", "debt_relief_scam", "other")
COLLECTION = "('collection_notice', 'third_party_contact')"
SCAMS = "('fake_collection', 'debt_relief_scam')"
DEFAULT_LIMIT = 1000  # rows kept in the long-tail tables (platforms, agencies, senders, domains, clusters)
OPTIONAL_COLUMNS = ("text", "sender")  # kept input columns the queries use; NULL when the file lacks them

DIALECTS: dict[str, dict[str, str]] = {
    "duckdb": {"explode": "unnest", "len": "len"},
    "spark": {"explode": "explode", "len": "size"},
}


def _flag(name: str) -> str:
    return f"count_if(array_contains(flags, '{name}')) AS {name}"


def _per_key(key: str, extra: str = "") -> str:
    """Contact patterns per platform / agency: how many messages, what share reach third parties, threats,
    night contacts, impersonation, and how many cite a possible violation."""
    return f"""
SELECT {key}, {extra}count(*) AS messages,
  count_if(kind IN {COLLECTION}) AS collection,
  count_if(kind = 'third_party_contact') AS third_party_contact,
  round(CAST(count_if(kind = 'third_party_contact') AS DOUBLE) / nullif(count_if(kind IN {COLLECTION}), 0), 4)
    AS third_party_share,
  count_if(kind IN {SCAMS}) AS scam,
  {_flag('threat')}, {_flag('night_contact')}, {_flag('impersonation')}, {_flag('legal_intimidation')},
  {_flag('privacy_disclosure')}, {_flag('insult')},
  count_if({{len}}(violations) > 0) AS violating,
  count(DISTINCT sender) AS senders,
  round(avg(risk), 2) AS mean_risk
FROM {{table}} WHERE {key} IS NOT NULL
GROUP BY {key}
ORDER BY messages DESC, {key}
LIMIT {{limit}}"""


def _cluster_keys(column: str, key_type: str) -> str:
    return f"""
  SELECT '{key_type}' AS key_type, {{explode}}({column}) AS key, sender, kind, id, local_date FROM {{table}}
  WHERE kind IN {SCAMS} OR array_contains(flags, 'phishing_link') OR array_contains(flags, 'payment_redirect')"""


QUERIES: dict[str, str] = {
    "summary": f"""
SELECT count(*) AS messages, count_if(error IS NOT NULL) AS errors,
  {", ".join(f"count_if(kind = '{k}') AS {k}" for k in KINDS)},
  count_if(kind IN {COLLECTION}) AS collection,
  round(CAST(count_if(kind = 'third_party_contact') AS DOUBLE) / nullif(count_if(kind IN {COLLECTION}), 0), 4)
    AS third_party_share,
  round(CAST(count_if(array_contains(flags, 'night_contact')) AS DOUBLE)
        / nullif(count_if(kind IN {COLLECTION} AND local_hour IS NOT NULL), 0), 4) AS night_share,
  round(CAST(count_if(kind IN {COLLECTION} AND array_contains(flags, 'threat')) AS DOUBLE)
        / nullif(count_if(kind IN {COLLECTION}), 0), 4) AS threat_share,
  {", ".join(_flag(f) for f in FLAGS)},
  count_if({{len}}(violations) > 0) AS violating,
  count(DISTINCT sender) AS senders, count(DISTINCT platform) AS platforms, count(DISTINCT agency) AS agencies,
  min(local_date) AS first_day, max(local_date) AS last_day
FROM {{table}}""",
    "by_kind": """
SELECT kind, count(*) AS messages, round(avg(risk), 2) AS mean_risk, count(DISTINCT sender) AS senders
FROM {table} WHERE kind IS NOT NULL GROUP BY kind ORDER BY messages DESC, kind""",
    "by_flag": """
SELECT flag, count(*) AS messages FROM (SELECT {explode}(flags) AS flag FROM {table}) AS f
GROUP BY flag ORDER BY messages DESC, flag""",
    "by_platform": _per_key("platform", "max(platform_id) AS platform_id, "),
    "by_agency": _per_key("agency"),
    "by_sender": f"""
SELECT sender, max(sender_type) AS sender_type, count(*) AS messages,
  count_if(kind IN {COLLECTION}) AS collection, count_if(kind = 'third_party_contact') AS third_party_contact,
  count_if(kind IN {SCAMS}) AS scam, {_flag('threat')}, {_flag('night_contact')},
  count(DISTINCT platform) AS platforms, round(avg(risk), 2) AS mean_risk,
  min(local_date) AS first_day, max(local_date) AS last_day
FROM {{table}} WHERE sender IS NOT NULL AND kind IS NOT NULL
GROUP BY sender ORDER BY messages DESC, sender LIMIT {{limit}}""",
    "by_url_domain": f"""
SELECT domain, count(*) AS messages, count(DISTINCT sender) AS senders, count_if(kind IN {SCAMS}) AS scam,
  count_if(array_contains(flags, 'phishing_link')) AS phishing_link, count(DISTINCT platform) AS platforms
FROM (SELECT {{explode}}(url_domains) AS domain, sender, kind, flags, platform FROM {{table}}) AS u
GROUP BY domain ORDER BY messages DESC, domain LIMIT {{limit}}""",
    "by_day": f"""
SELECT local_date AS day, count(*) AS messages, count_if(kind IN {COLLECTION}) AS collection,
  count_if(kind = 'third_party_contact') AS third_party_contact, count_if(kind IN {SCAMS}) AS scam,
  {_flag('threat')}, {_flag('night_contact')}
FROM {{table}} WHERE local_date IS NOT NULL AND kind IS NOT NULL GROUP BY local_date ORDER BY day""",
    "by_hour": f"""
SELECT local_hour AS hour, count(*) AS messages, count_if(kind IN {COLLECTION}) AS collection,
  count_if(kind = 'third_party_contact') AS third_party_contact, count_if(kind IN {SCAMS}) AS scam,
  {_flag('threat')}, {_flag('night_contact')}
FROM {{table}} WHERE local_hour IS NOT NULL AND kind IS NOT NULL GROUP BY local_hour ORDER BY hour""",
    "violations": """
SELECT v.id AS law_id, max(v.title) AS title, max(v.binding_level) AS binding_level, count(*) AS messages,
  count(DISTINCT platform) AS platforms
FROM (SELECT {explode}(violations) AS v, platform FROM {table}) AS x
GROUP BY v.id ORDER BY messages DESC, law_id""",
    "scam_clusters": f"""
WITH keys AS ({_cluster_keys('url_domains', 'url_domain')}
  UNION ALL{_cluster_keys('payment_accounts', 'payment_account')}
  UNION ALL{_cluster_keys('contacts', 'contact')}
)
SELECT key_type, key, count(DISTINCT sender) AS senders, count(*) AS messages,
  count_if(kind = 'fake_collection') AS fake_collection, count_if(kind = 'debt_relief_scam') AS debt_relief_scam,
  min(local_date) AS first_day, max(local_date) AS last_day, min(id) AS example_id
FROM keys WHERE key IS NOT NULL
GROUP BY key_type, key HAVING count(DISTINCT sender) >= 2
ORDER BY senders DESC, messages DESC, key_type, key LIMIT {{limit}}""",
    "top_violating_platforms": f"""
WITH p AS (
  SELECT platform, count(*) AS messages, count_if({{len}}(violations) > 0) AS violating,
    count_if(kind = 'third_party_contact') AS third_party_contact, {_flag('threat')}, {_flag('night_contact')},
    {_flag('insult')}, {_flag('privacy_disclosure')}, round(avg(risk), 2) AS mean_risk
  FROM {{table}} WHERE platform IS NOT NULL AND kind IN {COLLECTION} GROUP BY platform
), ex AS (
  SELECT platform, id, text, risk,
    row_number() OVER (PARTITION BY platform ORDER BY risk DESC, id) AS rn
  FROM {{table}} WHERE platform IS NOT NULL AND kind IN {COLLECTION} AND {{len}}(violations) > 0
)
SELECT p.platform, p.messages, p.violating, p.third_party_contact, p.threat, p.night_contact, p.insult,
  p.privacy_disclosure, p.mean_risk, ex.id AS example_id, ex.risk AS example_risk, ex.text AS example_text
FROM p LEFT JOIN ex ON ex.platform = p.platform AND ex.rn = 1
WHERE p.violating > 0
ORDER BY p.violating DESC, p.platform LIMIT 50""",
}


def _filtered_counts(sql: str) -> str:
    """``count_if(c)`` → ``count(*) FILTER (WHERE c)``: BIGINT in both engines (DuckDB's count_if is a
    HUGEINT, which Arrow turns into a decimal)."""
    out, i = [], 0
    while (j := sql.find("count_if(", i)) >= 0:
        depth, k = 0, j + len("count_if")
        while k < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[k], 0)
            if depth == 0:
                break
            k += 1
        out.append(f"{sql[i:j]}count(*) FILTER (WHERE {_filtered_counts(sql[j + len('count_if('):k])})")
        i = k + 1
    return "".join(out) + sql[i:]


def queries(dialect: str, table: str = "verdicts", limit: int = DEFAULT_LIMIT) -> dict[str, str]:
    """The aggregation SQL for ``dialect`` ("duckdb" or "spark") over the view ``table``."""
    words = DIALECTS[dialect]
    return {name: _filtered_counts(sql.format(table=table, limit=int(limit), **words))
            for name, sql in QUERIES.items()}


class AggregateError(ValueError):
    """The verdict file cannot be aggregated (missing, not Parquet, not a verdict file)."""


def duckdb_tables(path: Path, limit: int = DEFAULT_LIMIT, threads: int | None = None,
                  memory_limit: str | None = None) -> dict[str, Any]:
    """Run every aggregation with DuckDB over the verdict Parquet ``path`` (a file, a directory of part
    files, or a glob); returns ``{table name: pyarrow.Table}``. DuckDB streams the file and spills to disk,
    so memory stays bounded."""
    import duckdb

    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    src = str(path / "*.parquet") if path.is_dir() else str(path)
    try:
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [src]).fetchall()]
    except duckdb.Error as exc:
        raise AggregateError(f"{path}: cannot read as Parquet ({exc})") from exc
    needed = {"kind", "flags", "violations", "platform", "local_date", "url_domains"}
    if not needed <= set(names):
        raise AggregateError(f"{path}: not an anning verdict file (columns {sorted(needed - set(names))} missing)")
    extra = "".join(f", CAST(NULL AS VARCHAR) AS {c}" for c in OPTIONAL_COLUMNS if c not in names)
    escaped = src.replace("'", "''")
    con.execute(f"CREATE VIEW verdicts AS SELECT *{extra} FROM read_parquet('{escaped}')")
    return {name: con.sql(sql).to_arrow_table() for name, sql in queries("duckdb", "verdicts", limit).items()}


def write_tables(tables: dict[str, Any], out: Path, formats: Iterable[str] = ("csv", "parquet")) -> list[Path]:
    """Write each table as ``NAME.csv`` (UTF-8 with BOM, so Excel shows Chinese) and ``NAME.parquet``."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        if "parquet" in formats:
            pq.write_table(table, out / f"{name}.parquet", compression="zstd")
            written.append(out / f"{name}.parquet")
        if "csv" in formats:
            path = out / f"{name}.csv"
            with path.open("wb") as fh:
                fh.write("\ufeff".encode())
                pacsv.write_csv(table, fh)
            written.append(path)
    return written


def summary_dict(tables: dict[str, Any]) -> dict[str, Any]:
    row = tables["summary"].to_pylist()[0]
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def run(verdicts: Path, out: Path, lang: str = "zh", limit: int = DEFAULT_LIMIT, report: bool = True,
        threads: int | None = None, memory_limit: str | None = None) -> dict[str, Any]:
    """Aggregate ``verdicts`` into ``out``: tables as CSV and Parquet, ``summary.json`` and ``report.html``."""
    if not verdicts.exists():
        raise AggregateError(f"{verdicts}: no such file")
    tables = duckdb_tables(verdicts, limit, threads, memory_limit)
    write_tables(tables, out)
    summary = summary_dict(tables)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    if report:
        from anning.scale.report import render_report

        (out / "report.html").write_text(render_report(tables, lang, source=verdicts.name), encoding="utf-8")
    return summary
