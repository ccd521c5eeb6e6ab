"""The discount report's figures from stored discount parts: by source and funder, the
shipping discount split by the order's platform funding, coins counted as the platform's,
and the parts always adding up to the total."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from services.finance.discount_report import PaidOrder, figures

DAY = date(2026, 6, 10)
part = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["COUPON", "PROMOTION", "COINS"]),
        "funder": st.one_of(st.none(), st.integers(1, 3)),
        "amount": st.integers(0, 10_000),
    }
)


def test_sources_funders_and_shipping():
    order = PaidOrder(
        DAY,
        (
            {"source": "COUPON", "funder": None, "amount": 1355},
            {"source": "COUPON", "funder": 7, "amount": 1500},
            {"source": "PROMOTION", "funder": 7, "amount": 300},
            {"source": "COINS", "funder": None, "amount": 200},
        ),
        shipping_discount=1000,
        platform_funded=1355 + 200 + 1000,  # a platform free-shipping coupon
    )
    out = figures([order])
    assert (out["coupons_by_platform"], out["coupons_by_merchants"], out["promotions_by_merchants"]) == (
        1355,
        1500,
        300,
    )
    assert (out["shipping_by_platform"], out["shipping_by_merchants"], out["coins"]) == (1000, 0, 200)
    assert (out["by_platform"], out["by_merchants"], out["total"]) == (2555, 1800, 4355)


@given(st.lists(st.tuples(st.lists(part, max_size=6), st.integers(0, 2000), st.integers(0, 3000)), max_size=8))
def test_the_figures_add_up(orders):
    paid = [
        PaidOrder(DAY, tuple(parts), shipping, sum(p["amount"] for p in parts if p["funder"] is None) + extra)
        for parts, shipping, extra in orders
    ]
    out = figures(paid)
    parts_total = sum(p["amount"] for parts, _, _ in orders for p in parts)
    assert out["total"] == parts_total + sum(shipping for _, shipping, _ in orders)
    assert out["total"] == out["by_platform"] + out["by_merchants"]
    assert 0 <= out["shipping_by_platform"] <= sum(shipping for _, shipping, _ in orders)
