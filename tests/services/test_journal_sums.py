"""The finance reports' folded sums: a finished day (and today's finished hours) is summed once
and read from then on, the report equals the journal summed afresh at every step, a slot
still open is always live, and two processes folding at once store each slot once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models.reports import FoldedSlot, JournalSum
from services.core import clock
from services.core.business_days import day_start, today
from services.finance import journal_sums, reports
from services.ledger import ledger
from services.ledger.ledger import Posting, Purpose
from tests.conftest import requires_postgres
from tests.helpers import make_user


async def booked(amount: int) -> None:
    """A commission booked to a user from the platform's budget, as the reports read it."""
    user = await make_user("earner")
    budget = (await ledger.platform_account(Purpose.PROMOTION_EXPENSE)).id
    pending = (await ledger.user_account(user.id, Purpose.COMMISSION_PENDING)).id
    await ledger.post("COMMISSION_BOOKED", [Posting(budget, -amount), Posting(pending, amount)])


async def afresh(first, last) -> dict:
    """The journal summed without any folded slot: what every report must equal."""
    rows = await journal_sums._summed(journal_sums.DAY, day_start(first), day_start(last + timedelta(days=1)))
    out: dict = {}
    for r in rows:
        day = journal_sums._slot_of(journal_sums.DAY, r["slot"])[1]
        key = (day, r["kind"], r["owner_type"], r["purpose"])
        out[key] = out.get(key, 0) + int(r["amount"])
    return out


async def folded_view(first, last) -> dict:
    out: dict = {}
    for day, items in (await journal_sums.daily_sums(first, last)).items():
        for kind, owner_type, purpose, amount in items:
            out[(day, kind, owner_type, purpose)] = out.get((day, kind, owner_type, purpose), 0) + amount
    return out


async def test_finished_days_and_hours_are_folded_once_and_the_report_stays_exact():
    first = today()
    await booked(1000)
    clock.advance(timedelta(hours=3))
    await booked(250)
    last = today()
    assert await folded_view(first, last) == await afresh(first, last)
    hours = await FoldedSlot.filter(span="H").count()
    assert hours >= 2  # the morning's finished hours, not the one still open
    clock.advance(timedelta(days=2))
    await booked(70)  # today, live
    last = today()
    assert await folded_view(first, last) == await afresh(first, last)
    assert await FoldedSlot.filter(span="D").count() == (last - first).days  # every day but today
    assert await FoldedSlot.filter(span="H", slot_start__lt=day_start(last)).count() == 0  # days replaced them
    totals = (await reports.report(reports.COMMISSIONS, "DAY", first, last))[1]
    assert totals["booked"] == 1320 and totals["funded_by_platform"] == 1320


async def test_a_folded_day_is_read_from_its_sums_not_re_summed():
    first = today()
    await booked(1000)
    clock.advance(timedelta(days=1, hours=1))
    await journal_sums.daily_sums(first, today())
    row = await JournalSum.get(span="D", day=first, kind="COMMISSION_BOOKED", purpose="COMMISSION_PENDING")
    await JournalSum.filter(id=row.id).update(amount=1)  # only a report reading the fold sees this
    totals = (await reports.report(reports.COMMISSIONS, "DAY", first, today()))[1]
    assert totals["booked"] == 1


async def test_an_empty_day_is_folded_too_and_not_summed_again():
    first = today()
    clock.advance(timedelta(days=3))
    await journal_sums.daily_sums(first, today())
    assert await FoldedSlot.filter(span="D").count() == 3
    assert await JournalSum.all().count() == 0
    await journal_sums.daily_sums(first, today())
    assert await FoldedSlot.filter(span="D").count() == 3


@requires_postgres
async def test_concurrent_reports_fold_each_slot_once():
    first = today()
    for amount in (100, 200, 300):
        await booked(amount)
        clock.advance(timedelta(hours=9))
    last = today()
    results = await asyncio.gather(*(folded_view(first, last) for _ in range(8)))
    expected = await afresh(first, last)
    assert all(r == expected for r in results)
    slots = await FoldedSlot.all().values_list("span", "slot_start")
    assert len(slots) == len(set(slots))
