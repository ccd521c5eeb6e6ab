"""Settlement periods and report classification, pure (FIN-4, FIN-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.finance import reports, settlement
from services.finance.reports import Sum


def test_weekly_periods_run_monday_to_sunday():
    assert settlement.period_of(date(2026, 11, 23)) == (date(2026, 11, 23), date(2026, 11, 30))  # a Monday
    assert settlement.period_of(date(2026, 11, 29)) == (date(2026, 11, 23), date(2026, 11, 30))  # its Sunday
    assert settlement.period_of(date(2026, 11, 30))[0] == date(2026, 11, 30)


def test_a_period_closes_at_its_business_end_plus_grace():
    # Monday 00:05 in UTC+8 is Sunday 16:05 UTC: within the grace, last week is still open
    just_after = datetime(2026, 11, 29, 16, 5, tzinfo=UTC)
    assert settlement.closed_before(just_after) == date(2026, 11, 23)
    later = just_after + timedelta(minutes=settlement.settings.SETTLEMENT_GRACE_MINUTES)
    assert settlement.closed_before(later) == date(2026, 11, 30)


def test_revenue_and_commission_classification():
    sums = [
        Sum("CONSIGNMENT_SALE", "PLATFORM", "FEE_REVENUE", 440),
        Sum("CONSIGNMENT_SALE_REVERSED", "PLATFORM", "FEE_REVENUE", -440),
        Sum("SETTLEMENT_APPROVED", "PLATFORM", "COMMISSION_REVENUE", 2000),
        Sum("WITHDRAWAL_FEE", "PLATFORM", "FEE_REVENUE", 300),
        Sum("COMMISSION_BOOKED", "USER", "COMMISSION_PENDING", 500),
        Sum("COMMISSION_BOOKED", "MERCHANT", "MERCHANT_PENDING", -300),
        Sum("COMMISSION_BOOKED", "PLATFORM", "PROMOTION_EXPENSE", -200),
        Sum("COMMISSION_REVERSED", "MERCHANT", "MERCHANT_PENDING", 100),
        Sum("COMMISSION_REVERSED", "USER", "COMMISSION_PENDING", -100),
        Sum("COMMISSION_RELEASED", "USER", "COMMISSION_PENDING", -250),
        Sum("COMMISSION_RELEASED", "USER", "WALLET", 250),
    ]
    assert reports.revenue(sums) == {
        "consignment_fees": 0,
        "merchant_commissions": 2000,
        "withdrawal_fees": 300,
        "other": 0,
        "total": 2300,
    }
    assert reports.commission_ledger(sums) == {
        "booked": 500,
        "funded_by_merchants": 300,
        "funded_by_platform": 200,
        "reversed": 100,
        "rejected": 0,
        "released": 250,
    }
