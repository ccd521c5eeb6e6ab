"""Finance reports for administrators (FIN-5): platform revenue, the commission ledger, and
consignment / distribution totals, by business day, ISO week or month.

Source of truth: the journal (services.ledger.ledger). One grouped query reads, per business day
of the transaction, per transaction kind and per account (owner type, purpose), the sum of
the entries of the kinds these reports know; each report is then a pure function of those
sums (`revenue`, `commission_ledger`, `activity`), rolled up into the buckets of
services.consignment.stats (same periods, same range rules: INVALID_DATE_RANGE for a range
in the future, reversed or too long). The sums of finished days and hours are folded once
and kept (services.finance.journal_sums), so a report costs the same on a grown shop.

- Platform revenue: entries on the platform's FEE_REVENUE and COMMISSION_REVENUE accounts:
  consignment fees (CONSIGNMENT_SALE, less CONSIGNMENT_SALE_REVERSED), merchant commissions
  (SETTLEMENT_APPROVED: approved statements), withdrawal fees (kinds starting WITHDRAWAL),
  anything else as `other`.
- Commission ledger: booked (credited to beneficiaries' COMMISSION_PENDING), of which funded
  by merchants (their MERCHANT_PENDING) and by the platform (PROMOTION_EXPENSE); reversed
  and rejected (what went back to the source); released (left COMMISSION_PENDING for the
  wallet).
- Discounts (services.finance.discount_report): the paid orders' discounts by source and funder.
- Activity: consignment sales handed to sellers (retail price, net of reversals), fees,
  rewards (from PROMOTION_EXPENSE, net), proceeds settled to sellers' wallets; commissions
  booked, reversed + rejected, released; merchant settlements approved (to MERCHANT_SETTLED).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.core.business_days import buckets, check_range
from services.finance import discount_report, journal_sums

REVENUE, COMMISSIONS, ACTIVITY, DISCOUNTS = "REVENUE", "COMMISSIONS", "ACTIVITY", "DISCOUNTS"

COLUMNS: dict[str, tuple[str, ...]] = {
    REVENUE: ("consignment_fees", "merchant_commissions", "withdrawal_fees", "other", "total"),
    COMMISSIONS: ("booked", "funded_by_merchants", "funded_by_platform", "reversed", "rejected", "released"),
    DISCOUNTS: discount_report.FIGURES,
    ACTIVITY: (
        "consignment_sales",
        "consignment_fees",
        "consignment_rewards",
        "consignment_settled",
        "commissions_booked",
        "commissions_reversed",
        "commissions_released",
        "merchant_settlements",
    ),
}


@dataclass(frozen=True)
class Sum:
    """The sum of some entries of one day: kind of transaction, account owner type, purpose."""

    kind: str
    owner_type: str
    purpose: str
    amount: int


def revenue(sums: list[Sum]) -> dict[str, int]:
    out = dict.fromkeys(COLUMNS[REVENUE], 0)
    for s in sums:
        if s.owner_type != "PLATFORM" or s.purpose not in ("FEE_REVENUE", "COMMISSION_REVENUE"):
            continue
        if s.purpose == "FEE_REVENUE" and s.kind.startswith("CONSIGNMENT_SALE"):
            out["consignment_fees"] += s.amount
        elif s.purpose == "COMMISSION_REVENUE" and s.kind == "SETTLEMENT_APPROVED":
            out["merchant_commissions"] += s.amount
        elif s.purpose == "FEE_REVENUE" and s.kind.startswith("WITHDRAWAL"):
            out["withdrawal_fees"] += s.amount
        else:
            out["other"] += s.amount
        out["total"] += s.amount
    return out


def _is_source(s: Sum) -> tuple[bool, bool]:
    return (
        s.owner_type == "MERCHANT" and s.purpose == "MERCHANT_PENDING",
        s.owner_type == "PLATFORM" and s.purpose == "PROMOTION_EXPENSE",
    )


def commission_ledger(sums: list[Sum]) -> dict[str, int]:
    out = dict.fromkeys(COLUMNS[COMMISSIONS], 0)
    for s in sums:
        merchant, platform = _is_source(s)
        if s.kind == "COMMISSION_BOOKED":
            if s.purpose == "COMMISSION_PENDING":
                out["booked"] += s.amount
            elif merchant:
                out["funded_by_merchants"] -= s.amount
            elif platform:
                out["funded_by_platform"] -= s.amount
        elif s.kind == "COMMISSION_REVERSED" and (merchant or platform):
            out["reversed"] += s.amount
        elif s.kind == "COMMISSION_REJECTED" and (merchant or platform):
            out["rejected"] += s.amount
        elif s.kind == "COMMISSION_RELEASED" and s.purpose == "COMMISSION_PENDING":
            out["released"] -= s.amount
    return out


def activity(sums: list[Sum]) -> dict[str, int]:
    out = dict.fromkeys(COLUMNS[ACTIVITY], 0)
    ledger = commission_ledger(sums)
    out["commissions_booked"] = ledger["booked"]
    out["commissions_reversed"] = ledger["reversed"] + ledger["rejected"]
    out["commissions_released"] = ledger["released"]
    for s in sums:
        if s.kind.startswith("CONSIGNMENT_SALE"):
            if s.purpose == "MERCHANT_PENDING":
                out["consignment_sales"] -= s.amount
            elif s.purpose == "FEE_REVENUE":
                out["consignment_fees"] += s.amount
            elif s.purpose == "PROMOTION_EXPENSE":
                out["consignment_rewards"] -= s.amount
        elif s.kind == "CONSIGNMENT_SETTLED" and s.purpose == "CONSIGNMENT_PENDING":
            out["consignment_settled"] -= s.amount
        elif s.kind == "SETTLEMENT_APPROVED" and s.purpose == "MERCHANT_SETTLED":
            out["merchant_settlements"] += s.amount
    return out


REPORTS = {REVENUE: revenue, COMMISSIONS: commission_ledger, ACTIVITY: activity}


@dataclass(frozen=True)
class Bucket:
    first: date
    last: date
    figures: dict[str, int]


async def daily_sums(first: date, last: date) -> dict[date, list[Sum]]:
    return {day: [Sum(*s) for s in items] for day, items in (await journal_sums.daily_sums(first, last)).items()}


async def report(kind: str, period: str, first: date, last: date) -> tuple[list[Bucket], dict[str, int]]:
    """The report's buckets over [first, last] and its totals."""
    check_range(period, first, last)
    if kind == DISCOUNTS:  # from the paid orders' stored discounts, not the journal
        days, compute = await discount_report.daily(first, last), discount_report.figures
    else:
        days, compute = await daily_sums(first, last), REPORTS[kind]
    out = []
    for start, end in buckets(period, first, last):
        out.append(Bucket(start, end, compute([s for d, items in days.items() if start <= d <= end for s in items])))
    return out, compute([s for items in days.values() for s in items])
