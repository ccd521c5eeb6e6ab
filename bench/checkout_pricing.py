"""What promotions, a coupon and coins add to a checkout (MKT-1, MKT-2, MKT-4): place-and-pay
through GraphQL of a two-merchant cart under two promotions (the platform's 满150减10 and
merchant A's 满2件95折), with the platform's 满150减20 coupon and 1,000 shopping coins, against
a plain place-and-pay of the same cart from two merchants no promotion covers (couponIds: []),
in the same process, alternating rounds; and the cost of one `checkoutPreview` of each.
The buyer claims the coupon just before each discounted checkout (not timed), so at each
checkout they hold what a shopper holds, not hundreds. Prints orders/s and process CPU per
operation (the place-and-pay calls alone), and the ratios (target: discounted / plain ≥ 0.8).

    .venv/bin/python bench/checkout_pricing.py [--rounds 5] [--orders 40]

SQLite in a temporary file unless DATABASE_URL names a throw-away PostgreSQL database (its
`public` schema is dropped). In-process (httpx's ASGI transport, as the tests call the API):
no network or server process, so the figures are the app's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")
os.environ.setdefault("DEBUG", "true")
os.environ["RESPONSE_CACHE"] = "false"

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id amount { amount } } errors { code } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { errors { code } } }"
PREVIEW = "query($input: CheckoutPreviewInput!) { checkoutPreview(input: $input) { payAmount { amount } } }"
CLAIM = "mutation($t: ID!) { claimCoupon(templateId: $t) { errors { code } } }"
CREATE = """mutation($input: CouponTemplateInput!) { createCouponTemplate(input: $input) {
  template { id } errors { code } } }"""
PROMOTE = """mutation($input: PromotionInput!) { createPromotion(input: $input) {
  promotion { id } errors { code field } } }"""
DISCOUNTS = """query($input: CheckoutPreviewInput!) { checkoutPreview(input: $input) {
  goodsAmount { amount } discountAmount { amount } payAmount { amount } } }"""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--orders", type=int, default=40, help="checkouts per kind and round")
    args = parser.parse_args()

    import httpx
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    import settings
    import wiring
    from app import create_app
    from manage import reset_database
    from services.accounts import access
    from services.catalog.limits import MAX_STOCK
    from services.ledger import ledger
    from services.ledger.ledger import Posting, Purpose
    from services.marketing import coins
    from services.marketing.coupon_templates import MAX_PER_USER
    from tests import helpers
    from tests.order_factories import make_buyer, make_shop

    await reset_database()
    await migrate(config=settings.TORTOISE_ORM)
    await Tortoise.close_connections()
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    await access.sync_catalog()
    app = create_app(debug=False, manage_database=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    api = helpers.Api(client)
    try:
        admin = await helpers.make_user("admin", roles=("admin",))
        admin_token = await helpers.token_for(admin)
        shops = []
        for _ in range(2):  # (A, B) under the promotions, (C, D) plain; same prices
            a, _, (a_sku,) = await make_shop(price=6_000, stock=MAX_STOCK, shipping_fee=1_000, free_threshold=20_000)
            b, _, (b_sku,) = await make_shop(price=5_000, stock=MAX_STOCK)
            shops.append((a, a_sku, b, b_sku))
        (a, a_sku, b, b_sku), (_, c_sku, _, d_sku) = shops
        window = {"startsAt": "2000-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z"}
        made = await api(
            PROMOTE,
            {
                "input": {
                    "name": "满150减10",
                    "kind": "FULL_REDUCTION",
                    "tiers": [{"threshold": "150.00", "amount": "10.00"}],
                }
                | {"scope": {"merchantIds": [helpers.gid(a), helpers.gid(b)]}}
                | window
            },
            admin_token,
        )
        assert made["createPromotion"]["errors"] == [], made
        made = await api(
            PROMOTE,
            {
                "input": {"name": "满2件95折", "kind": "QUANTITY_DISCOUNT", "tiers": [{"units": 2, "rateBp": 500}]}
                | {"merchantId": helpers.gid(a)}
                | window
            },
            await helpers.token_for(await a.owner),
        )
        assert made["createPromotion"]["errors"] == [], made
        total = args.rounds * args.orders + 2  # and the warm-up's
        templates = []  # identical 满150减20 templates, as many as the per-user limit needs
        while len(templates) * MAX_PER_USER < total:
            made = await api(
                CREATE,
                {
                    "input": {"name": "满150减20", "kind": "THRESHOLD", "amount": "20.00", "threshold": "150.00"}
                    | {"totalQuantity": MAX_PER_USER, "validDays": 30, "perUserLimit": MAX_PER_USER}
                },
                admin_token,
            )
            assert made["createCouponTemplate"]["errors"] == [], made
            templates.append(made["createCouponTemplate"]["template"]["id"])
        claims = iter(t for t in templates for _ in range(MAX_PER_USER))
        buyer, address = await make_buyer(wallet=10**12)
        token = await helpers.token_for(buyer)
        budget = (await ledger.platform_account(Purpose.PROMOTION_EXPENSE, coins.COIN)).id
        account = (await ledger.user_account(buyer.id, Purpose.COINS, coins.COIN)).id
        await ledger.post(
            "SNAPUP_CONSOLATION", [Posting(budget, -(total + 1) * 1_000), Posting(account, (total + 1) * 1_000)]
        )
        promoted = [
            {"skuId": helpers.gid("Sku", a_sku.id), "quantity": 2},
            {"skuId": helpers.gid("Sku", b_sku.id), "quantity": 1},
        ]
        plain = [
            {"skuId": helpers.gid("Sku", c_sku.id), "quantity": 2},
            {"skuId": helpers.gid("Sku", d_sku.id), "quantity": 1},
        ]

        async def checkout(discounted: bool) -> tuple[float, float]:
            """One place-and-pay; returns its wall and CPU seconds (the claim before it not counted)."""
            if discounted:
                assert (await api(CLAIM, {"t": next(claims)}, token))["claimCoupon"]["errors"] == []
            extra = {"coins": 1_000} if discounted else {"couponIds": []}
            items = promoted if discounted else plain
            body = {"idempotencyKey": uuid.uuid4().hex, "addressId": helpers.gid(address), "items": items} | extra
            wall, cpu = time.perf_counter(), time.process_time()
            placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
            assert placed["errors"] == [], placed
            assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []
            return time.perf_counter() - wall, time.process_time() - cpu

        async def preview(discounted: bool) -> tuple[float, float]:
            extra = {"coins": 1_000} if discounted else {"couponIds": []}
            items = promoted if discounted else plain
            wall, cpu = time.perf_counter(), time.process_time()
            await api(PREVIEW, {"input": {"items": items} | extra}, token)
            return time.perf_counter() - wall, time.process_time() - cpu

        if discounts := (await api(DISCOUNTS, {"input": {"items": promoted, "coins": 1_000}}, token))[
            "checkoutPreview"
        ]:
            print(
                f"discounted cart: goods {discounts['goodsAmount']['amount']}, discounts "
                f"{discounts['discountAmount']['amount']}, pays {discounts['payAmount']['amount']}"
            )
        await checkout(False)  # warm: accounts, caches
        await checkout(True)
        figures: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("plain", "discounted", "preview plain", "preview discounted")
        }
        for r in range(args.rounds):
            order = [("plain", checkout, False), ("discounted", checkout, True)]
            order += [("preview plain", preview, False), ("preview discounted", preview, True)]
            if r % 2:
                order = order[1::-1] + order[:1:-1]
            for name, run, discounted in order:
                spent = [await run(discounted) for _ in range(args.orders)]
                figures[name].append((sum(w for w, _ in spent), sum(c for _, c in spent)))

        def per_op(name: str) -> tuple[float, float]:
            walls = [w / args.orders for w, _ in figures[name]]
            cpus = [c / args.orders for _, c in figures[name]]
            return statistics.median(walls), statistics.median(cpus)

        print(f"database: {settings.DATABASE_URL.split(':')[0]}, {args.rounds} rounds × {args.orders} per kind")
        for name in figures:
            wall, cpu = per_op(name)
            print(f"  {name:20s} {1 / wall:7.1f}/s  {cpu * 1000:6.2f} ms CPU per operation")
        (pw, pc), (dw, dc) = per_op("plain"), per_op("discounted")
        print(f"discounted / plain place-and-pay: {pw / dw:.2f} by throughput, {pc / dc:.2f} by CPU (target ≥ 0.8)")
        (_, vc), (_, qc) = per_op("preview plain"), per_op("preview discounted")
        print(f"checkoutPreview: {vc * 1000:.2f} ms plain, {qc * 1000:.2f} ms with the promotions, coupon and coins")
        assert await ledger.check_invariants() == []
    finally:
        await client.aclose()
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
