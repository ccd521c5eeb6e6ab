"""Which part of a report's range is read from folded sums and which is summed live (FIN-5).

The journal never changes once written, so a slot of time whose transactions have all
committed can be summed once and kept (services.finance.journal_sums). A slot is final when
it ended more than `grace` ago: a transaction is dated when it is written and commits within
its unit of work, so none still in flight can carry a date that old.

A range [first, last] of business days splits into, in order:
  - whole business days that are final (read from day sums);
  - whole hours of the days that are not final yet (today, and yesterday just after
    midnight), read from hour sums, so a report on a busy day does not re-sum the morning;
  - the rest (at most the current hour plus the grace), summed live.
Hours line up with business days because the business offset is a whole number of hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.core.business_days import day_start

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Slots:
    days: tuple[date, ...]  # final business days, in order
    hours: tuple[datetime, ...]  # UTC starts of final hours after those days, in order
    live_from: datetime  # from here ...
    end: datetime  # ... to here (the end of `last`), summed from the journal itself


def plan(first: date, last: date, now: datetime, grace: timedelta) -> Slots:
    end = day_start(last + timedelta(days=1))
    days = []
    day = first
    while day <= last and day_start(day + timedelta(days=1)) + grace <= now:
        days.append(day)
        day += timedelta(days=1)
    cursor = day_start(day) if day <= last else end
    hours = []
    while cursor + HOUR <= end and cursor + HOUR + grace <= now:
        hours.append(cursor)
        cursor += HOUR
    return Slots(tuple(days), tuple(hours), cursor, end)
