"""The journal's sums per business day for the finance reports, folded once per final slot.

A report over 30 days of a grown shop used to re-sum every entry of those days on each call,
so its cost grew with the shop. The journal is append-only, so a day (or, today, an hour) that
ended SETTLEMENT_GRACE_MINUTES ago never changes again (services.finance.report_slots): its
sums are computed once, stored (models.reports) and read from then on; only the unfinished
hour is summed live. Folding is lazy, on the first report that covers a slot, and safe
between processes: the slot markers are unique, and a process that loses the race to insert
them rolls back its copy and reads the winner's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import settings
from models.reports import FoldedSlot, JournalSum
from services.core import clock
from services.core.business_days import business_day, day_sql, day_start
from services.core.sql import sql
from services.finance.report_slots import HOUR, plan

DAY, HOUR_SPAN = "D", "H"
GRACE = timedelta(minutes=settings.SETTLEMENT_GRACE_MINUTES)

# The entries the reports know (services.finance.reports reads only these sums).
KINDS = (
    "CONSIGNMENT_SALE",
    "CONSIGNMENT_SALE_REVERSED",
    "CONSIGNMENT_SETTLED",
    "SETTLEMENT_APPROVED",
    "COMMISSION_BOOKED",
    "COMMISSION_REVERSED",
    "COMMISSION_RELEASED",
    "COMMISSION_REJECTED",
)
_WANTED = (
    f"(t.kind IN ({', '.join(repr(k) for k in KINDS)}) OR t.kind LIKE 'WITHDRAWAL%' "
    "OR (a.owner_type = 'PLATFORM' AND a.purpose IN ('FEE_REVENUE', 'COMMISSION_REVENUE')))"
)


def _slot_sql(dialect: str, span: str) -> str:
    """Per slot (a business day, or the epoch hour), kind and account: the sum of the entries."""
    if span == DAY:
        slot = day_sql(dialect, "t.created_at")
    elif dialect == "postgres":
        slot = "CAST(FLOOR(EXTRACT(EPOCH FROM t.created_at) / 3600) AS BIGINT)"
    else:
        slot = "CAST(strftime('%s', t.created_at) AS INTEGER) / 3600"
    return (
        f"SELECT {slot} AS slot, t.kind AS kind, a.owner_type AS owner_type, a.purpose AS purpose, "
        "SUM(e.amount) AS amount FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id "
        "JOIN ledger_account a ON a.id = e.account_id "
        f"WHERE t.created_at >= ? AND t.created_at < ? AND {_WANTED} "
        f"GROUP BY {slot}, t.kind, a.owner_type, a.purpose"
    )


async def _summed(span: str, start: datetime, end: datetime) -> list[dict]:
    conn = connections.get("default")
    return await conn.execute_query_dict(sql(conn, _slot_sql(conn.capabilities.dialect, span)), [start, end])


def _slot_of(span: str, value) -> tuple[datetime, date]:
    """A summed row's slot: its UTC start and its business day."""
    if span == DAY:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        return day_start(day), day
    start = datetime.fromtimestamp(int(value) * 3600, UTC)
    return start, business_day(start)


def _runs(starts: list[datetime], step: timedelta) -> list[tuple[datetime, datetime]]:
    """Consecutive slot starts as [start, end) runs, so each run is one grouped query."""
    runs: list[tuple[datetime, datetime]] = []
    for start in starts:
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], start + step)
        else:
            runs.append((start, start + step))
    return runs


async def _fold(span: str, starts: list[datetime], folded: set[datetime]) -> None:
    step = timedelta(days=1) if span == DAY else HOUR
    for start, end in _runs([s for s in starts if s not in folded], step):
        rows = await _summed(span, start, end)
        try:
            async with in_transaction():
                await FoldedSlot.bulk_create(
                    [FoldedSlot(span=span, slot_start=start + i * step) for i in range((end - start) // step)]
                )
                sums = []
                for r in rows:
                    slot_start, day = _slot_of(span, r["slot"])
                    sums.append(
                        JournalSum(
                            span=span,
                            slot_start=slot_start,
                            day=day,
                            kind=r["kind"],
                            owner_type=r["owner_type"],
                            purpose=r["purpose"],
                            amount=int(r["amount"] or 0),
                        )
                    )
                await JournalSum.bulk_create(sums)
                if span == DAY:  # a folded day makes its hours redundant
                    await JournalSum.filter(span=HOUR_SPAN, slot_start__gte=start, slot_start__lt=end).delete()
                    await FoldedSlot.filter(span=HOUR_SPAN, slot_start__gte=start, slot_start__lt=end).delete()
        except IntegrityError:
            pass  # another process folded some of these slots first; its sums are the same


async def daily_sums(first: date, last: date) -> dict[date, list[tuple[str, str, str, int]]]:
    """Per business day of [first, last]: (kind, owner type, purpose, amount) of the entries
    the reports know."""
    slots = plan(first, last, clock.now(), GRACE)
    days = [day_start(d) for d in slots.days]
    if days or slots.hours:
        lo = days[0] if days else slots.hours[0]
        marked = await FoldedSlot.filter(slot_start__gte=lo, slot_start__lt=slots.live_from).values_list(
            "span", "slot_start"
        )
        await _fold(DAY, days, {s for span, s in marked if span == DAY})
        await _fold(HOUR_SPAN, list(slots.hours), {s for span, s in marked if span == HOUR_SPAN})
    out: dict[date, list[tuple[str, str, str, int]]] = defaultdict(list)
    if days or slots.hours:
        hours_from = slots.hours[0] if slots.hours else slots.live_from
        stored = JournalSum.filter(slot_start__gte=lo, slot_start__lt=slots.live_from)
        for span, start, day, kind, owner_type, purpose, amount in await stored.values_list(
            "span", "slot_start", "day", "kind", "owner_type", "purpose", "amount"
        ):
            if (start < hours_from) == (span == DAY):  # days before the hours, hours after them
                out[day].append((kind, owner_type, purpose, amount))
    if slots.live_from < slots.end:
        for r in await _summed(DAY, slots.live_from, slots.end):
            out[_slot_of(DAY, r["slot"])[1]].append((r["kind"], r["owner_type"], r["purpose"], int(r["amount"] or 0)))
    return out
