"""Grade and membership races on PostgreSQL (skipped on SQLite, whose writers are
serialised anyway): evaluations of one user landing at once record one change; two
membership payments of one buyer at once both count, once each."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models.grades import Grade, GradeChange, GradeRule
from models.membership import Membership, MembershipPeriod
from services.core import clock
from services.core.events import unit_of_work
from services.distribution import grades
from services.ledger import ledger
from services.orders import payments
from tests.catalog_factories import make_merchant, make_product, sku
from tests.conftest import requires_postgres
from tests.helpers import make_user
from tests.order_factories import make_buyer, place

pytestmark = requires_postgres

ROUNDS = 6


async def _evaluate(user_id: int) -> str | None:
    async with unit_of_work() as conn:
        return await grades.evaluate(user_id, conn)


async def test_evaluations_of_one_user_at_once_record_one_change_each_step():
    await grades.ensure_seeded()
    v1 = await Grade.get(code="V1")
    v2 = await Grade.get(code="V2")
    users = []
    for i in range(ROUNDS):
        user = await make_user(f"U{i}")
        await make_user(f"D{i}", upline=user)
        users.append(user)
    await GradeRule.create(grade_id=v1.id, direct_members_min=1)  # first grade: races on the insert
    for user in users:
        results = await asyncio.gather(*(_evaluate(user.id) for _ in range(3)))
        assert sorted(r or "" for r in results) == ["", "", "V1"]
    await GradeRule.create(grade_id=v2.id, direct_members_min=1)  # an upgrade: races on the conditional update
    for user in users:
        results = await asyncio.gather(*(_evaluate(user.id) for _ in range(3)))
        assert sorted(r or "" for r in results) == ["", "", "V2"]
        assert await GradeChange.filter(user_id=user.id).values_list("to_grade", flat=True) == ["V1", "V2"]


async def test_two_membership_payments_of_one_buyer_at_once_both_extend():
    platform = await make_merchant(kind="SELF_OPERATED")
    product = await make_product(platform, title="会员", zone="MEMBERSHIP", skus=[sku(price=9_900, stock=1000)])
    membership_sku = (await product.skus.all())[0]
    for _ in range(ROUNDS):
        buyer, address = await make_buyer("买家", wallet=100_000)
        first = await place(buyer, address, [(membership_sku.id, 1)])
        second = await place(buyer, address, [(membership_sku.id, 1)])
        await asyncio.gather(
            payments.pay_with_wallet(buyer.id, first.payment.id), payments.pay_with_wallet(buyer.id, second.payment.id)
        )
        row = await Membership.get(user_id=buyer.id)
        assert abs((row.expires_at - clock.now()) - timedelta(days=730)) < timedelta(minutes=1)
        assert await MembershipPeriod.filter(user_id=buyer.id).count() == 2
    assert await ledger.check_invariants() == []
