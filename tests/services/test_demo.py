"""The development server's demo data loads, is idempotent and holds the worked example."""

from models.catalog import Product, Sku
from models.merchants import Merchant, Store
from services.core.sensitive import blind_index
from services.demo import seed as demo


async def test_demo_data_loads_twice_and_holds_the_worked_example():
    await demo.seed()
    await demo.seed()  # idempotent: `make serve` runs it on every start
    assert await Merchant.filter(status="ACTIVE").count() == 3
    assert await Merchant.filter(kind="SELF_OPERATED").count() == 1
    assert len({s.city_code for s in await Store.all()}) == 2
    zones = set(await Product.filter(status="LISTED").values_list("zone", flat=True))
    assert zones == {"RETAIL", "MEMBER", "WHOLESALE", "GIFT_PACK", "POINTS", "NORMAL"}
    retail = await Product.get(zone="RETAIL")
    assert retail.vouchers_per_unit == 2
    assert (await Sku.get(product_id=retail.id)).price == 220000
    wholesale = await Sku.get(product__zone="WHOLESALE")
    assert wholesale.wholesale_price == 44000 and retail.voucher_product_id == wholesale.product_id


async def test_demo_customer_can_check_out_and_pay_from_the_wallet():
    from models.accounts import Address, User
    from services.ledger import ledger
    from services.orders import checkout, payments

    await demo.seed()
    await demo.seed()
    customer = await User.get(phone_hash=blind_index(demo.DEMO_CUSTOMER_PHONE))
    wallet = await ledger.user_account(customer.id, ledger.Purpose.WALLET)
    assert wallet.balance == demo.DEMO_WALLET_FEN  # credited once however often it is seeded
    normal = await Sku.filter(product__zone="NORMAL", product__status="LISTED").first()
    address = await Address.get(user_id=customer.id)
    placed = await checkout.place_order(
        customer.id,
        checkout.CheckoutRequest(
            idempotency_key="demo", items=(checkout.LineRequest(normal.id, 1),), address_id=address.id
        ),
    )
    await payments.pay_with_wallet(customer.id, placed.payment.id)
    assert await ledger.check_invariants() == []
