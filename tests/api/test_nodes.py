"""Global object identification: node / nodes over every Node type, and INVALID_ID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from graphql import GraphQLObjectType

from models.accounts import Address as AddressModel
from models.accounts import User
from models.agents import AgentAssignment
from models.catalog import StockMovement
from models.consignment import SnapUpSession, Voucher, WholesaleUnit
from models.content import Banner
from models.deliveries import StoreDelivery
from models.distribution import Commission
from models.distributors import DistributorApplication
from models.grades import Grade, GradeRule
from models.ledger import JournalEntry, LedgerAccount
from models.marketing import (
    Bargain,
    BargainActivity,
    CouponTemplate,
    FlashItem,
    FlashSession,
    GroupActivity,
    GroupTeam,
    LotteryActivity,
    LotteryDraw,
    Material,
    PosterTemplate,
    Promotion,
    UserCoupon,
)
from models.merchants import MerchantReview, MerchantStaff, StoreStaff
from models.notifications import Notification
from models.orders import CartItem, Refund
from models.risk import RiskAudit, RiskCase, RiskRule
from models.settlement import SettlementStatement
from models.stores import MemberCard, MemberCardPlan, PunchCard, StorePaymentRequest
from models.withdrawals import Withdrawal
from schema.schema import schema
from services.accounts.access import load_grants
from services.core import clock
from services.merchants.stores import OpeningHours
from services.orders import payments
from services.stores import bookings as store_bookings
from tests.catalog_factories import make_product, sku
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_buyer, make_shop, make_store, place

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


@dataclass
class Case:
    id: str
    allowed: User | None  # a viewer who may read it (None: anyone, even signed out)
    denied: User | None  # a signed-in viewer who may not (None: every viewer may)


def node_types() -> set[str]:
    """Every type implementing Node, read from the schema: a new one fails the matrix until it has a case."""
    return {
        name
        for name, t in schema._schema.type_map.items()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
    }


async def _world() -> dict[str, Case]:
    """One object of each Node type, a viewer allowed to read it and one who is not."""
    alice, address = await make_buyer("alice", wallet=100_000)
    bob = await make_user("bob")
    admin = await make_user("admin", roles=("admin",))
    carol = await make_user("carol")
    merchant, product, skus = await make_shop(price=1000, stock=20)
    owner = await User.get(id=merchant.owner_id)
    store = await make_store(merchant)
    draft = await make_product(merchant, title="草稿", listed=False, skus=[sku()])
    placed = await place(alice, address, [(skus[0].id, 2)])
    order = placed.orders[0]
    await payments.pay_with_wallet(alice.id, placed.payment.id)
    line = (await order.lines.all())[0]
    now = clock.now()
    cart_item = await CartItem.create(user_id=alice.id, sku_id=skus[0].id, quantity=1)
    wallet = await LedgerAccount.get(owner_type="USER", owner_id=alice.id, purpose="WALLET")
    entry = await JournalEntry.filter(account_id=wallet.id).first()
    movement = await StockMovement.filter(sku_id=skus[0].id).first()
    refund = await Refund.create(
        refund_no=f"R{order.id}", payment_id=placed.payment.id, order_id=order.id, amount=100, method="WALLET"
    )
    from services.orders import after_sales

    after_sale = await after_sales.request_after_sale(alice.id, line.id, "REFUND_ONLY", 1, "不想要了")
    review = await MerchantReview.create(
        merchant_id=merchant.id, action="APPROVE", from_status="PENDING", to_status="ACTIVE", actor_id=admin.id
    )
    staff = await MerchantStaff.create(merchant_id=merchant.id, user_id=carol.id, permissions=[])
    store_staff = await StoreStaff.create(store_id=store.id, user_id=carol.id)
    banner = await Banner.create(
        placement="HOME_TOP", title="b", image_url="https://x/b.png", target_type="URL", target_value="https://x"
    )
    hidden_banner = await Banner.create(
        placement="HOME_TOP",
        title="h",
        image_url="https://x/h.png",
        target_type="URL",
        target_value="https://x",
        is_active=False,
    )
    wholesale = await make_product(merchant, title="批发", zone="WHOLESALE", skus=[sku(wholesale_price=400)])
    wsku = (await wholesale.skus.all())[0]
    voucher = await Voucher.create(owner_id=alice.id, expires_at=now + timedelta(days=3))
    unit = await WholesaleUnit.create(owner_id=alice.id, product_id=wholesale.id, order_line_id=line.id, cost=400)
    session = await SnapUpSession.create(
        product_id=wholesale.id, sku_id=wsku.id, starts_at=now, ends_at=now + timedelta(days=1), units=5, remaining=5
    )
    commission = await Commission.create(
        order_id=order.id,
        line_id=line.id,
        buyer_id=bob.id,
        beneficiary_id=alice.id,
        level=1,
        base=1000,
        amount=10,
        funded_by="PLATFORM",
        merchant_id=merchant.id,
    )
    application = await DistributorApplication.create(user_id=alice.id, mode="APPROVAL")
    grade = await Grade.create(code="NODEV", name="节点", rank=99)
    rule = await GradeRule.create(grade_id=grade.id, own_sales_min=100)
    agent = await AgentAssignment.create(user_id=alice.id, level=3, region_code="330106")
    withdrawal = await Withdrawal.create(
        owner_type="USER",
        owner_id=alice.id,
        requested_by_id=alice.id,
        amount=1000,
        fee=100,
        net=900,
        status="PENDING",
        idempotency_key="n1",
        request_hash="h",
        business_day=date(2024, 1, 2),
        destination_kind="BANK",
    )
    statement = await SettlementStatement.create(
        merchant_id=merchant.id, period_start=date(2024, 1, 1), period_end=date(2024, 1, 8)
    )
    risk_rule = await RiskRule.create(kind="SELF_PURCHASE")
    case = await RiskCase.create(rule_id=risk_rule.id, kind="SELF_PURCHASE", subject_user_id=alice.id)
    audit = await RiskAudit.create(actor_id=admin.id, action="RULE_CREATED", rule_id=risk_rule.id)
    notification = await Notification.create(user_id=alice.id, kind="ADMIN", title="hi")
    coupon_fields = dict(name="c", kind="FIXED", amount=100, total_quantity=5, valid_days=3)
    draft_template = await CouponTemplate.create(**coupon_fields)  # DRAFT: its managers only
    live_template = await CouponTemplate.create(**coupon_fields, status="ACTIVE")
    promotion = await Promotion.create(
        name="p", kind="FULL_REDUCTION", starts_at=now, ends_at=now + timedelta(days=3), status="ACTIVE"
    )
    poster_template = await PosterTemplate.create(name="海报", layout={})
    flash_session = await FlashSession.create(name="f", starts_at=now, ends_at=now + timedelta(hours=2))
    flash_item = await FlashItem.create(
        session_id=flash_session.id,
        merchant_id=merchant.id,
        product_id=product.id,
        sku_id=skus[0].id,
        flash_price=500,
        stock=3,
    )
    group_activity = await GroupActivity.create(
        merchant_id=merchant.id,
        product_id=product.id,
        sku_id=skus[0].id,
        name="g",
        group_price=500,
        team_size=2,
        time_limit_minutes=60,
        starts_at=now,
        ends_at=now + timedelta(days=1),
    )
    bargain_activity = await BargainActivity.create(
        merchant_id=merchant.id,
        product_id=product.id,
        sku_id=skus[0].id,
        name="b",
        start_price=1_000,
        floor_price=100,
        helps_needed=3,
        time_limit_minutes=60,
        starts_at=now,
        ends_at=now + timedelta(days=1),
    )
    group_team = await GroupTeam.create(activity_id=group_activity.id, leader_id=alice.id, size=2)
    a_bargain = await Bargain.create(
        activity_id=bargain_activity.id,
        user_id=alice.id,
        seed="s",
        cuts=[300, 300, 300],
        price=1_000,
        expires_at=now + timedelta(hours=1),
    )
    material = await Material.create(kind="TEXT", title="m", body="b", product_id=product.id)
    coupon = await UserCoupon.create(
        template_id=live_template.id,
        user_id=alice.id,
        source="CLAIM",
        valid_from=now,
        expires_at=now + timedelta(days=3),
    )
    lottery_activity = await LotteryActivity.create(
        name="l", cost_points=1, starts_at=now, ends_at=now + timedelta(days=1), daily_limit=1, seed="00", seed_hash="x"
    )
    lottery_draw = await LotteryDraw.create(
        activity_id=lottery_activity.id, user_id=alice.id, sequence=1, roll=5, cost_points=1
    )
    addr = await AddressModel.get(id=address.id)
    card_plan = await MemberCardPlan.create(merchant_id=merchant.id, name="储值卡")
    punch_card = await PunchCard.create(
        order_id=order.id,
        line_id=line.id,
        product_id=product.id,
        merchant_id=merchant.id,
        holder_id=alice.id,
        title="洗车",
        uses_total=10,
        price=1000,
        expires_at=now + timedelta(days=30),
    )
    member_card = await MemberCard.create(
        plan_id=card_plan.id, merchant_id=merchant.id, holder_id=alice.id, card_no="MCN1"
    )
    pay_request = await StorePaymentRequest.create(
        store_id=store.id, amount=100, created_by_id=owner.id, expires_at=now + timedelta(minutes=10)
    )
    service = await store_bookings.create_item(
        await load_grants(owner.id),
        store.id,
        store_bookings.ServiceItemData(
            "洗车", 1000, 60, 2, opening_hours=[OpeningHours(d, "00:00", "24:00") for d in range(1, 8)]
        ),
    )
    booking = await store_bookings.book(
        alice.id,
        service.id,
        now
        + timedelta(days=1, hours=2)
        - timedelta(minutes=now.minute, seconds=now.second, microseconds=now.microsecond),
        "AT_STORE",
        "n1",
    )
    store_delivery = await StoreDelivery.create(
        order_id=order.id, store_id=store.id, buyer_id=alice.id, provider="riders", distance_m=10, fee=0
    )
    return {
        # one id per user and per merchant: the view depends on who asks
        "User": Case(gid(alice), alice, None),
        "PublicUser": Case(gid(alice), bob, None),
        "Address": Case(gid(addr), alice, bob),
        "Notification": Case(gid(notification), alice, bob),
        "LedgerAccount": Case(gid(wallet), admin, alice),
        "StatementLine": Case(gid(entry), alice, bob),
        "Merchant": Case(gid(merchant), None, None),
        "ManagedMerchant": Case(gid(merchant), owner, None),
        "MerchantReview": Case(gid(review), owner, alice),
        "MerchantStaffMember": Case(gid(staff), owner, alice),
        "Store": Case(gid(store), None, None),
        "StoreStaffMember": Case(gid(store_staff), owner, alice),
        "Product": Case(gid(draft), owner, bob),
        "Sku": Case(gid(skus[0]), None, None),
        "Category": Case(gid("Category", product.category_id), None, None),
        "StockMovement": Case(gid(movement), owner, alice),
        "Banner": Case(gid(hidden_banner), admin, alice),
        "Order": Case(gid(order), alice, bob),
        "OrderLine": Case(gid(line), alice, bob),
        "Refund": Case(gid(refund), alice, bob),
        "Payment": Case(gid(placed.payment), alice, bob),
        "AfterSale": Case(gid(after_sale), alice, bob),
        "CartItem": Case(gid(cart_item), alice, bob),
        "Voucher": Case(gid(voucher), alice, bob),
        "WholesaleUnit": Case(gid(unit), alice, bob),
        "SnapUpSession": Case(gid(session), None, None),
        "Commission": Case(gid(commission), alice, bob),
        "DistributorApplication": Case(gid(application), alice, bob),
        "Grade": Case(gid(grade), None, None),
        "GradeRule": Case(gid(rule), None, None),
        "AgentAssignment": Case(gid(agent), alice, bob),
        "Withdrawal": Case(gid(withdrawal), alice, bob),
        "SettlementStatement": Case(gid(statement), owner, bob),
        "RiskCase": Case(gid(case), admin, alice),
        "RiskRule": Case(gid(risk_rule), admin, alice),
        "RiskAuditEntry": Case(gid(audit), admin, alice),
        "CouponTemplate": Case(gid(draft_template), admin, alice),
        "UserCoupon": Case(gid(coupon), alice, bob),
        "Promotion": Case(gid(promotion), admin, alice),
        "LotteryActivity": Case(gid(lottery_activity), None, None),
        "LotteryDraw": Case(gid(lottery_draw), alice, bob),
        "MemberCardPlan": Case(gid(card_plan), alice, None),
        "MemberCard": Case(gid(member_card), alice, bob),
        "PunchCard": Case(gid(punch_card), alice, bob),
        "ServiceItem": Case(gid(service), None, None),
        "Booking": Case(gid(booking), alice, bob),
        "StoreDelivery": Case(gid(store_delivery), alice, bob),
        "StorePaymentRequest": Case(gid(pay_request), owner, alice),
        "FlashSession": Case(gid(flash_session), None, None),
        "FlashItem": Case(gid(flash_item), None, None),
        "GroupActivity": Case(gid(group_activity), None, None),
        "GroupTeam": Case(gid(group_team), None, None),  # public: its members are masked
        "BargainActivity": Case(gid(bargain_activity), None, None),
        "Bargain": Case(gid(a_bargain), None, None),  # a share link: anyone
        "Material": Case(gid(material), alice, None),  # distributors (everyone signed in, in AUTO)
        "PosterTemplate": Case(gid(poster_template), admin, alice),
        "_live_banner": Case(gid(banner), None, None),
        "_live_template": Case(gid(live_template), None, None),
    }


async def _node(api, id_: str, user: User | None):
    token = await token_for(user) if user is not None else None
    return (await api(NODE, {"id": id_}, token=token))["node"]


async def test_node_permission_matrix(api):
    world = await _world()
    cases = {k: v for k, v in world.items() if not k.startswith("_")}
    assert set(cases) == node_types()
    for type_name, case in cases.items():
        found = await _node(api, case.id, case.allowed)
        assert found == {"__typename": type_name, "id": case.id}, type_name
        if case.denied is not None:
            assert await _node(api, case.id, case.denied) is None, type_name
            if case.allowed is not None:
                assert await _node(api, case.id, None) is None, type_name
    user, merchant = cases["User"], cases["Merchant"]
    assert await _node(api, user.id, None) is None  # signed out: not even the public view
    live = world["_live_template"].id  # a claimable coupon template: anyone
    assert await _node(api, live, None) == {"__typename": "CouponTemplate", "id": live}
    assert await _node(api, merchant.id, cases["PublicUser"].allowed) == {"__typename": "Merchant", "id": merchant.id}


async def test_node_matches_the_types_own_query(api):
    world = await _world()
    order, payment, after_sale = world["Order"], world["Payment"], world["AfterSale"]
    own = {
        order.id: "query($id: ID!) { x: order(id: $id) { id } }",
        payment.id: "query($id: ID!) { x: payment(id: $id) { id } }",
        after_sale.id: "query($id: ID!) { x: afterSale(id: $id) { id } }",
        world["ManagedMerchant"].id: "query($id: ID!) { x: managedMerchant(id: $id) { id } }",
        world["SettlementStatement"].id: "query($id: ID!) { x: settlementStatement(id: $id) { id } }",
        world["Withdrawal"].id: "query($id: ID!) { x: myWithdrawal(id: $id) { id } }",
    }
    cases = {world[t].id: world[t] for t in ("Order", "Payment", "AfterSale", "SettlementStatement", "Withdrawal")}
    cases[world["ManagedMerchant"].id] = Case(
        world["ManagedMerchant"].id, world["ManagedMerchant"].allowed, world["Order"].denied
    )
    for id_, query in own.items():
        case = cases[id_]
        allowed = await api.raw(query, {"id": id_}, token=await token_for(case.allowed))
        assert allowed["data"]["x"]["id"] == id_
        denied = await api.raw(query, {"id": id_}, token=await token_for(case.denied))
        assert denied["errors"] or denied["data"]["x"] is None
        seen = await _node(api, id_, case.denied)
        # where managedMerchant refuses, node answers the merchant's public view
        assert seen is None if id_ != world["Merchant"].id else seen["__typename"] == "Merchant"


async def test_nodes_keeps_order_and_nulls_what_is_not_readable(api):
    world = await _world()
    alice = world["Order"].allowed
    ids = [world["Order"].id, world["RiskRule"].id, world["Merchant"].id]
    found = (await api(NODES, {"ids": ids}, token=await token_for(alice)))["nodes"]
    assert [n and n["id"] for n in found] == [ids[0], None, ids[2]]


async def test_nodes_is_bounded(api):
    _merchant, product, _skus = await make_shop()
    body = await api.raw(NODES, {"ids": [gid(product)] * 101})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert len((await api(NODES, {"ids": [gid(product)] * 100}))["nodes"]) == 100


async def test_invalid_ids_in_a_query(api):
    merchant, product, _skus = await make_shop()
    product_query = "query($id: ID!) { product(id: $id) { id } }"
    malformed = ("42", "not-base64!", "VW5rbm93bjox", gid(product) + "=")  # "Unknown:1", a padded variant
    for query, bad in [(q, b) for q in (NODE, product_query) for b in malformed] + [(product_query, gid(merchant))]:
        body = await api.raw(query, {"id": bad})
        assert body.get("errors") and body["errors"][0]["extensions"]["code"] == "INVALID_ID", (query, bad, body)
        assert body["data"] is None or next(iter(body["data"].values())) is None
    # a well-formed id of the right type that names nothing is just not found
    assert (await api("query($id: ID!) { product(id: $id) { id } }", {"id": gid("Product", 10**9)}))["product"] is None


async def test_invalid_ids_in_a_mutation_change_nothing(api):
    alice, _address = await make_buyer("alice")
    _merchant, product, skus = await make_shop()
    token = await token_for(alice)
    add = "mutation($s: ID!) { addToCart(skuId: $s, quantity: 1) { errors { code field } } }"
    for bad in ("1", "@@", gid(product), gid("Sku", skus[0].id) + "="):
        errors = (await api(add, {"s": bad}, token=token))["addToCart"]["errors"]
        assert errors == [{"code": "INVALID_ID", "field": ["skuId"]}], bad
    unknown = (await api(add, {"s": gid("Sku", 10**9)}, token=token))["addToCart"]["errors"]
    assert [e["code"] for e in unknown] == ["NOT_FOUND"]
    assert await CartItem.filter(user_id=alice.id).count() == 0
