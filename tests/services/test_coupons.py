"""Coupons in the database (MKT-1, MKT-6): templates by the platform and by merchants,
claims exact under concurrency (total and per-user limits), admin issues, use and return
inside the caller's transaction, expiry by the worker. Every refusal asserts its code and
that nothing changed. The 5,000-claim race runs on PostgreSQL only."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from jobs import marketing as marketing_jobs
from models.accounts import User
from models.marketing import CouponClaim, CouponTemplate, UserCoupon
from services.accounts.access import load_grants
from services.core import clock
from services.core.errors import DomainError
from services.core.events import unit_of_work
from services.marketing import coupon_templates as templates
from services.marketing import coupons
from services.marketing.coupon_templates import ScopeData, TemplateData
from services.marketing.pipeline import Line, price_cart
from tests.catalog_factories import make_merchant, make_product, make_staff, owner_grants
from tests.conftest import requires_postgres
from tests.helpers import make_user


async def admin_grants():
    return await load_grants((await make_user("admin", roles=("admin",))).id)


def threshold(**fields) -> TemplateData:
    values = dict(name="满100减10", kind="THRESHOLD", amount=1000, threshold=10000, total_quantity=10, valid_days=7)
    return TemplateData(**(values | fields))


async def snapshot() -> tuple:
    return (
        await CouponTemplate.all().count(),
        await UserCoupon.all().count(),
        await CouponClaim.all().count(),
        sorted(await CouponTemplate.all().values_list("id", "status", "claimed_count")),
    )


async def refused(code: str, call):
    before = await snapshot()
    with pytest.raises(DomainError) as e:
        await call
    assert e.value.code.value == code, e.value
    assert await snapshot() == before  # nothing changed
    return e.value


async def test_admins_create_platform_templates_and_merchants_their_own():
    grants = await admin_grants()
    platform = await templates.create_template(grants, None, threshold())
    assert (platform.merchant_id, platform.status, platform.scope) == (None, "ACTIVE", {"excludedZones": ["WHOLESALE"]})
    merchant = await make_merchant()
    product = await make_product(merchant)
    own = await templates.create_template(
        await owner_grants(merchant),
        merchant.owner_id,
        threshold(merchant_id=merchant.id, scope=ScopeData(product_ids=(product.id,)), activate=False),
    )
    assert (own.merchant_id, own.status, own.scope["productIds"]) == (merchant.id, "DRAFT", [product.id])
    staff = await make_staff(merchant, ["merchant.marketing"])
    paused = await templates.change_status(await load_grants(staff.id), own.id, "ACTIVATE")
    assert paused.status == "ACTIVE"


async def test_bad_templates_are_refused_with_codes_and_nothing_written():
    grants = await admin_grants()
    merchant = await make_merchant()
    other = await make_merchant()
    theirs = await make_product(other)
    mine = await owner_grants(merchant)
    customer = await load_grants((await make_user("c")).id)
    await refused(
        "INVALID_RATE",
        templates.create_template(grants, None, threshold(kind="PERCENT", amount=0, threshold=0, rate_bp=10_001)),
    )
    await refused("INVALID_AMOUNT", templates.create_template(grants, None, threshold(amount=-1)))
    await refused("INVALID_AMOUNT", templates.create_template(grants, None, threshold(amount=20_000)))  # 满100减200
    await refused("INVALID_INPUT", templates.create_template(grants, None, threshold(kind="BOGUS")))
    await refused("INVALID_INPUT", templates.create_template(grants, None, threshold(total_quantity=0)))
    await refused("INVALID_INPUT", templates.create_template(grants, None, threshold(valid_days=0)))
    now = clock.now()
    await refused(
        "INVALID_DATE_RANGE",
        templates.create_template(
            grants, None, threshold(valid_days=0, valid_from=now, valid_until=now - timedelta(days=1))
        ),
    )
    await refused("FORBIDDEN", templates.create_template(customer, None, threshold()))
    await refused("FORBIDDEN", templates.create_template(mine, None, threshold()))  # the platform's: admins only
    await refused("FORBIDDEN", templates.create_template(mine, None, threshold(merchant_id=other.id)))
    await refused(
        "FORBIDDEN",
        templates.create_template(
            mine, None, threshold(merchant_id=merchant.id, scope=ScopeData(product_ids=(theirs.id,)))
        ),
    )
    await refused(
        "FORBIDDEN",
        templates.create_template(
            mine, None, threshold(merchant_id=merchant.id, scope=ScopeData(merchant_ids=(other.id,)))
        ),
    )
    await refused(
        "NOT_FOUND", templates.create_template(grants, None, threshold(scope=ScopeData(product_ids=(10**9,))))
    )
    await refused("INVALID_INPUT", templates.create_template(grants, None, threshold(scope=ScopeData(zones=("MOON",)))))


async def test_pause_and_end_follow_the_transition_table():
    grants = await admin_grants()
    t = await templates.create_template(grants, None, threshold())
    assert (await templates.change_status(grants, t.id, "PAUSE")).status == "PAUSED"
    await refused("INVALID_TRANSITION", templates.change_status(grants, t.id, "PAUSE"))
    assert (await templates.change_status(grants, t.id, "END")).status == "ENDED"
    await refused("INVALID_TRANSITION", templates.change_status(grants, t.id, "ACTIVATE"))
    merchant = await make_merchant()
    await refused("FORBIDDEN", templates.change_status(await owner_grants(merchant), t.id, "END"))


async def test_claims_respect_the_per_user_limit_the_total_and_the_status():
    grants = await admin_grants()
    t = await templates.create_template(grants, None, threshold(total_quantity=3, per_user_limit=2))
    alice, bob = await make_user("alice"), await make_user("bob")
    first = await coupons.claim(alice.id, t.id)
    assert (first.status, first.source) == ("CLAIMED", "CLAIM")
    assert first.expires_at - first.valid_from == timedelta(days=7)
    await coupons.claim(alice.id, t.id)
    await refused("COUPON_LIMIT_REACHED", coupons.claim(alice.id, t.id))
    await coupons.claim(bob.id, t.id)
    await refused("COUPONS_EXHAUSTED", coupons.claim(bob.id, t.id))
    assert (await CouponTemplate.get(id=t.id)).claimed_count == 3

    paused = await templates.create_template(grants, None, threshold())
    await templates.change_status(grants, paused.id, "PAUSE")
    await refused("COUPON_UNAVAILABLE", coupons.claim(alice.id, paused.id))
    issue_only = await templates.create_template(grants, None, threshold(claimable=False))
    await refused("NOT_FOUND", coupons.claim(alice.id, issue_only.id))
    window = await templates.create_template(
        grants, None, threshold(valid_days=0, valid_from=clock.now(), valid_until=clock.now() + timedelta(hours=1))
    )
    fixed = await coupons.claim(alice.id, window.id)
    assert fixed.expires_at == window.valid_until
    clock.advance(timedelta(hours=2))
    await refused("COUPON_UNAVAILABLE", coupons.claim(bob.id, window.id))


async def test_admins_issue_against_the_total_all_or_nothing():
    grants = await admin_grants()
    t = await templates.create_template(grants, None, threshold(total_quantity=3, claimable=False))
    users = [await make_user(f"u{i}") for i in range(4)]
    await refused("COUPONS_EXHAUSTED", coupons.issue(grants, None, t.id, [u.id for u in users]))
    issued = await coupons.issue(grants, None, t.id, [u.id for u in users[:2]])
    assert [c.source for c in issued] == ["ISSUE", "ISSUE"]
    await refused("NOT_FOUND", coupons.issue(grants, None, t.id, [10**9]))
    merchant = await make_merchant()
    await refused("FORBIDDEN", coupons.issue(await owner_grants(merchant), None, t.id, [users[3].id]))


async def test_use_return_and_expire():
    grants = await admin_grants()
    t = await templates.create_template(grants, None, threshold(per_user_limit=3))
    user = await make_user("u")
    a, b = await coupons.claim(user.id, t.id), await coupons.claim(user.id, t.id)
    offered = await coupons.usable_offers(user.id)
    assert [(o.id, o.kind, o.amount, o.threshold, o.funder) for o in offered] == [
        (a.id, "THRESHOLD", 1000, 10000, None),
        (b.id, "THRESHOLD", 1000, 10000, None),
    ]
    quote = price_cart([Line("x", 1, 1, 1, 1, 12000)], coupons=offered)
    assert [c.id for c in quote.coupons] == [a.id] and quote.paid == 11000

    async with unit_of_work() as conn:
        await coupons.use_coupons(user.id, 77, [coupons.CouponUse(a.id, 1000)], conn)
    row = await UserCoupon.get(id=a.id)
    assert (row.status, row.payment_id, row.discount) == ("USED", 77, 1000)

    async def use(coupon_id, user_id=user.id):
        async with unit_of_work() as conn:
            await coupons.use_coupons(user_id, 78, [coupons.CouponUse(b.id, 1), coupons.CouponUse(coupon_id, 1)], conn)

    await refused("INVALID_TRANSITION", use(a.id))  # b is not left used either: the transaction rolled back
    await refused("NOT_FOUND", use(b.id, user_id=(await make_user("other")).id))
    assert (await UserCoupon.get(id=b.id)).status == "CLAIMED"

    async with unit_of_work() as conn:
        assert await coupons.return_for_payment(77, conn) == 1
    row = await UserCoupon.get(id=a.id)
    assert (row.status, row.payment_id, row.discount) == ("RETURNED", None, 0)
    assert len(await coupons.usable_offers(user.id)) == 2

    clock.advance(timedelta(days=8))
    await refused("COUPON_EXPIRED", use(a.id))
    assert await coupons.expire_due() == (2, 0)
    assert set(await UserCoupon.filter(user_id=user.id).values_list("status", flat=True)) == {"EXPIRED"}
    assert await coupons.expire_due() == (0, 0)


async def test_the_expiry_job_ends_templates_past_their_window():
    grants = await admin_grants()
    now = clock.now()
    t = await templates.create_template(
        grants, None, threshold(valid_days=0, valid_from=now, valid_until=now + timedelta(days=1))
    )
    clock.advance(timedelta(days=2))
    assert await marketing_jobs.expire_coupons() == "expired 0 coupons, ended 1 coupon templates"
    assert (await CouponTemplate.get(id=t.id)).status == "ENDED"


async def test_holders_are_told_once_when_a_coupon_expires_within_a_day(monkeypatch):
    import settings

    monkeypatch.setattr(settings, "COUPON_EXPIRING_NOTICE_HOURS", 24)
    sent = []
    monkeypatch.setattr(coupons, "emit", lambda channel, event: sent.append((channel, event)))
    grants = await admin_grants()
    t = await templates.create_template(grants, None, threshold(valid_days=2, per_user_limit=2))
    user, other = await make_user("u"), await make_user("o")
    a, b = await coupons.claim(user.id, t.id), await coupons.claim(other.id, t.id)
    used = await coupons.claim(user.id, t.id)
    async with unit_of_work() as conn:
        await coupons.use_coupons(user.id, 5, [coupons.CouponUse(used.id, 100, None)], conn)
    sent.clear()
    assert await marketing_jobs.warn_expiring_coupons() == "told 0 holders of coupons expiring soon"
    clock.advance(timedelta(days=1, minutes=1))  # less than 24 h left
    assert await marketing_jobs.warn_expiring_coupons() == "told 2 holders of coupons expiring soon"
    assert sorted((ch, e.type, int(e.coupon_id)) for ch, e in sent) == sorted(
        [(f"user:{user.id}", "coupon_expiring", a.id), (f"user:{other.id}", "coupon_expiring", b.id)]
    )  # the used coupon is not told
    assert await coupons.warn_expiring() == 0  # exactly once per coupon
    assert await UserCoupon.filter(expiring_sent_at__isnull=False).count() == 2
    clock.advance(timedelta(days=1))
    assert await coupons.warn_expiring() == 0  # expired ones are not told either
    assert len(sent) == 2


async def test_the_storefront_lists_claimable_templates_with_coupons_left():
    grants = await admin_grants()
    open_ = await templates.create_template(grants, None, threshold())
    await templates.create_template(grants, None, threshold(claimable=False))
    await templates.create_template(grants, None, threshold(activate=False))
    full = await templates.create_template(grants, None, threshold(total_quantity=1))
    await coupons.claim((await make_user("u")).id, full.id)
    assert await templates.claimable_now().values_list("id", flat=True) == [open_.id]


@requires_postgres
async def test_5000_concurrent_claims_of_1000_coupons_one_per_user():
    grants = await admin_grants()
    t = await templates.create_template(grants, None, threshold(total_quantity=1000, per_user_limit=1))
    await User.bulk_create([User(nickname=f"racer{i}", invite_code=f"RACE{i:06d}") for i in range(2500)])
    users = await User.filter(nickname__startswith="racer").values_list("id", flat=True)
    assert len(users) == 2500
    attempts = [u for u in users for _ in range(2)]  # everyone tries twice, all at once

    async def attempt(user_id: int) -> str:
        try:
            await coupons.claim(user_id, t.id)
            return "OK"
        except DomainError as e:
            return e.code.value

    started = time.perf_counter()
    results = await asyncio.gather(*(attempt(u) for u in attempts))
    elapsed = time.perf_counter() - started
    print(f"5000 concurrent claims: {elapsed:.1f} s")
    assert results.count("OK") == 1000
    assert set(results) <= {"OK", "COUPONS_EXHAUSTED", "COUPON_LIMIT_REACHED"}
    assert (await CouponTemplate.get(id=t.id)).claimed_count == 1000
    holders = await UserCoupon.filter(template_id=t.id).values_list("user_id", flat=True)
    assert len(holders) == 1000 == len(set(holders))  # nobody twice
    assert await CouponClaim.filter(template_id=t.id, claimed__gt=1).count() == 0
    assert sorted(await CouponClaim.filter(template_id=t.id).values_list("user_id", flat=True)) == sorted(holders)
