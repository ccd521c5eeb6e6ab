"""CSV exports (FIN-5): the ledger journal and the finance reports, produced as an async
iterator of text chunks for a streaming HTTP response.

The journal is read in keyset pages (`WHERE e.id > last ORDER BY e.id LIMIT n`,
CSV_EXPORT_CHUNK_ROWS rows per query): memory stays flat whatever the number of lines,
no OFFSET scan, and each page is written with the csv module into a small buffer that is
yielded and dropped. Amounts are decimal strings (two places) in the account's unit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

from tortoise import connections

import settings
from services.core.business_days import day_start
from services.core.money import fen_to_decimal_string
from services.core.sql import sql
from services.finance import reports

JOURNAL_HEADER = (
    "entry_id",
    "created_at",
    "transaction_id",
    "kind",
    "reference_type",
    "reference_id",
    "account_id",
    "owner_type",
    "owner_id",
    "purpose",
    "currency",
    "amount",
    "balance_after",
)

_JOURNAL_SQL = (
    "SELECT e.id, e.created_at, t.id, t.kind, t.reference_type, t.reference_id, a.id, a.owner_type, a.owner_id, "
    "a.purpose, a.currency, e.amount, e.balance_after "
    "FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id JOIN ledger_account a ON a.id = e.account_id "
    "WHERE e.id > ? AND e.created_at >= ? AND e.created_at < ? ORDER BY e.id LIMIT ?"
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # bounds when the range is open
_FAR = datetime(9999, 1, 1, tzinfo=UTC)


def _moment(value) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def journal_bounds(first: date | None, last: date | None) -> tuple[datetime, datetime]:
    """[start, end) in UTC for business days first..last (either may be open)."""
    return (day_start(first) if first else _EPOCH, day_start(last + timedelta(days=1)) if last else _FAR)


async def journal_pages(first: date | None, last: date | None, chunk: int | None = None) -> AsyncIterator[list]:
    """The journal's entries in [first, last] (business days), oldest first, page by page."""
    chunk = chunk or settings.CSV_EXPORT_CHUNK_ROWS
    start, end = journal_bounds(first, last)
    conn = connections.get("default")
    text = sql(conn, _JOURNAL_SQL)
    after = 0
    while True:
        _, rows = await conn.execute_query(text, [after, start, end, chunk])
        if not rows:
            return
        yield rows
        if len(rows) < chunk:
            return
        after = rows[-1][0]


def journal_row(r) -> tuple:
    return (
        r[0],
        _moment(r[1]),
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        fen_to_decimal_string(r[11]),
        fen_to_decimal_string(r[12]),
    )


async def journal_csv(first: date | None, last: date | None, chunk: int | None = None) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(JOURNAL_HEADER)
    async for rows in journal_pages(first, last, chunk):
        writer.writerows(map(journal_row, rows))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


async def report_csv(kind: str, period: str, first: date, last: date) -> AsyncIterator[str]:
    """A report as CSV: one row per bucket (first day, last day, figures), then the totals.
    The range is checked before the first byte (a refused range raises DomainError)."""
    found, totals = await reports.report(kind, period, first, last)
    return _report_rows(kind, found, totals)


async def _report_rows(kind: str, found, totals) -> AsyncIterator[str]:
    columns = reports.COLUMNS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("first_day", "last_day", *columns))
    for b in found:
        writer.writerow(
            (b.first.isoformat(), b.last.isoformat(), *(fen_to_decimal_string(b.figures[c]) for c in columns))
        )
    writer.writerow(("total", "", *(fen_to_decimal_string(totals[c]) for c in columns)))
    yield buffer.getvalue()
