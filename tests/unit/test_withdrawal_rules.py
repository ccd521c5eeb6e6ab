"""Withdrawal rules without a database: the fee, the minimum, the transition table,
destinations, the business day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.core.errors import DomainError
from services.finance import withdrawals as w
from services.finance.payouts import Destination


def test_fee_is_basis_points_rounded_down_never_below_the_minimum():
    assert w.compute_fee(10_000, 700, 100) == 700
    assert w.compute_fee(10_001, 700, 100) == 700  # 700.07 rounded down
    assert w.compute_fee(1_000, 700, 100) == 100  # 70 < the minimum fee
    assert w.compute_fee(10_000, 0, 0) == 0


@pytest.mark.parametrize(
    "amount,code",
    [(999, "WITHDRAWAL_BELOW_MINIMUM"), (0, "INVALID_AMOUNT"), (-5, "INVALID_AMOUNT"), (True, "INVALID_AMOUNT")],
)
def test_amounts_refused(amount, code):
    with pytest.raises(DomainError) as caught:
        w.check_amount(amount)
    assert caught.value.code.value == code


def test_every_action_has_one_source_and_finals_lead_nowhere():
    table = w.WITHDRAWAL_STATES.transitions
    for action, t in table.items():
        (source,) = t.sources
        assert w.WITHDRAWAL_STATES.target(action, source) == t.target
        for other in set(w.STATUSES) - {source}:
            with pytest.raises(DomainError):
                w.WITHDRAWAL_STATES.target(action, other)
    assert not any(t.sources & w.FINAL for t in table.values())
    assert {t.target for t in table.values()} | {w.PENDING_REVIEW, w.RISK_REVIEW} == set(w.STATUSES)


def test_destinations_are_normalised_or_refused():
    bank = w.normalise_destination(Destination("bank", " 工商银行 ", " 张三 ", "6222 0212-3456 7890"))
    assert bank == Destination("BANK", "工商银行", "张三", "6222021234567890")
    wechat = w.normalise_destination(Destination("WECHAT", "ignored", "张三", "oAbc_123-xyz"))
    assert wechat == Destination("WECHAT", "", "张三", "oAbc_123-xyz")
    for bad, field in [
        (Destination("POST", "", "张三", "1"), "destination.kind"),
        (Destination("BANK", "", "张三", "62220212345678"), "destination.bankName"),
        (Destination("BANK", "b", "", "62220212345678"), "destination.holderName"),
        (Destination("BANK", "b", "张三", "1234567"), "destination.accountNo"),
        (Destination("WECHAT", "", "张三", "o b"), "destination.accountNo"),
    ]:
        with pytest.raises(DomainError) as caught:
            w.normalise_destination(bad)
        assert (caught.value.code.value, caught.value.field) == ("INVALID_DESTINATION", field)


def test_business_day_is_east_of_utc():
    assert str(w.business_day(datetime(2026, 11, 29, 15, 59, tzinfo=UTC))) == "2026-11-29"
    assert str(w.business_day(datetime(2026, 11, 29, 16, 0, tzinfo=UTC))) == "2026-11-30"  # midnight in Beijing
