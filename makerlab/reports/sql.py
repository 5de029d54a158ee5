"""Portable SQL pieces for the report: greatest/least and instants as epoch seconds.

SQLite stores instants as naive UTC text and has ``max``/``min`` as scalar
functions; PostgreSQL has ``timestamptz``, ``greatest``/``least`` and
``extract(epoch ...)``. These constructs compile to the right form for each.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class greatest(FunctionElement[Any]):  # noqa: N801 - reads like the SQL function
    """The larger of the arguments (``max()`` on SQLite)."""

    inherit_cache = True
    name = "greatest"


class least(FunctionElement[Any]):  # noqa: N801
    """The smaller of the arguments (``min()`` on SQLite)."""

    inherit_cache = True
    name = "least"


class epoch_seconds(FunctionElement[int]):  # noqa: N801
    """Whole seconds since 1970-01-01 UTC of an instant."""

    inherit_cache = True
    name = "epoch_seconds"
    type = sa.BigInteger()


@compiles(greatest)
def _greatest_default(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least)
def _least_default(element: least, compiler: Any, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # date_part: double precision; EXTRACT returns numeric since PostgreSQL 14 (slower).
    return f"CAST(date_part('epoch', {compiler.process(element.clauses, **kw)}) AS BIGINT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


# The time a booking matters to a report: from its start (or an earlier
# hand-over) to its end (or a late return, or without end while a kit is
# still out). Migration 0007 indexes exactly this expression on PostgreSQL
# (GiST), so a report finds the bookings of its period without reading the
# whole table; keep both texts identical.
REPORT_SPAN_SQL = (
    "tstzrange(LEAST(starts_at, COALESCE(checked_out_at, starts_at)), "
    "CASE WHEN checked_out_at IS NOT NULL AND returned_at IS NULL "
    "THEN 'infinity'::timestamptz "
    "ELSE GREATEST(ends_at, COALESCE(returned_at, ends_at)) END, '[)')"
)

# SQLite has no range type: migration 0012 indexes the span's end (instants
# are naive UTC text there, which orders like the instants; an open loan ends
# at a text after every instant) followed by the columns the report reads.
# "span_end > lo" is a range of that index, "span_start < hi" is computed from
# the indexed columns, so the pass reads neither the table nor the bookings
# that ended before the period. Keep SQLITE_SPAN_END_SQL identical to the
# migration's text, or SQLite will not use the index.
SQLITE_SPAN_START_SQL = "min(starts_at, coalesce(checked_out_at, starts_at))"
SQLITE_SPAN_END_SQL = (
    "(CASE WHEN checked_out_at IS NOT NULL AND returned_at IS NULL "
    "THEN '9999-12-31 23:59:59.999999' "
    "ELSE max(ends_at, coalesce(returned_at, ends_at)) END)"
)


class span_overlaps(FunctionElement[Any]):  # noqa: N801
    """A booking's report span overlaps ``[lo, hi)`` (arguments: lo, hi)."""

    inherit_cache = True
    name = "span_overlaps"
    # Not Boolean: SQLite would get "(...) = 1", which no index matches.
    type = sa.types.NullType()


@compiles(span_overlaps, "postgresql")
def _span_overlaps_pg(element: span_overlaps, compiler: Any, **kw: Any) -> str:
    lo, hi = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{REPORT_SPAN_SQL} && tstzrange({lo}, {hi}, '[)')"


@compiles(span_overlaps, "sqlite")
def _span_overlaps_sqlite(element: span_overlaps, compiler: Any, **kw: Any) -> str:
    lo, hi = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({SQLITE_SPAN_END_SQL} > {lo} AND {SQLITE_SPAN_START_SQL} < {hi})"


@compiles(span_overlaps)
def _span_overlaps_default(element: span_overlaps, compiler: Any, **kw: Any) -> str:
    # Without a range index the table is scanned: plain comparisons, cheapest per row.
    lo, hi = (compiler.process(clause, **kw) for clause in element.clauses)
    return (
        f"((starts_at < {hi} OR checked_out_at < {hi}) AND (ends_at > {lo} "
        f"OR returned_at > {lo} OR (checked_out_at IS NOT NULL AND returned_at IS NULL)))"
    )


class bucket(FunctionElement[int]):  # noqa: N801
    """How many of the ascending thresholds (arguments after the first) are <= the first.

    PostgreSQL's ``width_bucket`` does a binary search; elsewhere a ``CASE``.
    A chain of a dozen ``CASE`` branches costs PostgreSQL more than the rest
    of a year's report pass (bench/README.md).
    """

    inherit_cache = True
    name = "bucket"
    type = sa.Integer()


@compiles(bucket, "postgresql")
def _bucket_pg(element: bucket, compiler: Any, **kw: Any) -> str:
    value, *thresholds = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"width_bucket({value}, ARRAY[{', '.join(thresholds)}])"


@compiles(bucket)
def _bucket_default(element: bucket, compiler: Any, **kw: Any) -> str:
    value, *thresholds = (compiler.process(clause, **kw) for clause in element.clauses)
    whens = " ".join(f"WHEN {value} >= {t} THEN {i}"
                     for i, t in reversed(list(enumerate(thresholds, start=1))))
    return f"(CASE {whens} ELSE 0 END)"
