"""`node(id:)` and `nodes(ids:)`: any Node by its global id.

Each type is fetched by one function in FETCHERS, through the service or loader its own
query uses, so it is visible to exactly the viewers who may read it there. One rule for
every type: what the viewer may not read is null, as is what does not exist (existence is
not leaked); a malformed id, or one of no Node type, is INVALID_ID.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from models.accounts import User as UserModel
from models.catalog import Sku as SkuModel
from models.catalog import StockMovement as StockMovementModel
from models.deliveries import StoreDelivery as StoreDeliveryModel
from models.grades import GradeRule as GradeRuleModel
from models.ledger import LedgerAccount as LedgerAccountModel
from models.marketing import GroupActivity as GroupActivityRow
from models.marketing import PosterTemplate as PosterTemplateRow
from models.merchants import MerchantReview as MerchantReviewModel
from models.merchants import MerchantStaff as MerchantStaffModel
from models.merchants import Store as StoreModel
from models.merchants import StoreStaff as StoreStaffModel
from models.orders import OrderLine as OrderLineModel
from models.orders import Refund as RefundModel
from models.stores import MemberCardPlan as MemberCardPlanModel
from models.withdrawals import Withdrawal as WithdrawalModel
from resolvers.common import api_errors, parse_typed_id
from resolvers.distributor_centre import _with_names
from resolvers.grades import _grade as _grade_view
from resolvers.marketing import templates_for_viewer, templates_with_counts
from resolvers.points import activity_node
from resolvers.risk import _with_items
from resolvers.settlement import _names, _statement
from schema import node as global_ids
from schema.node import Node
from schema.types.accounts import Address, PublicUser
from schema.types.bargain import Bargain, BargainActivity
from schema.types.flash import FlashItem, FlashSession
from schema.types.group import GroupActivity, GroupTeam
from schema.types.ledger import LedgerAccount
from schema.types.marketing import UserCoupon
from schema.types.materials import Material
from schema.types.notifications import Notification
from schema.types.points import LotteryDraw
from schema.types.posters import PosterTemplate
from schema.types.promotions import Promotion
from schema.types.wallet import StatementLine
from services.accounts import access, notifications, profile
from services.catalog import content, stock
from services.catalog import products as catalog
from services.consignment import queue as consignment
from services.consignment import snapup, vouchers
from services.core.errors import DomainError, ErrorCode
from services.distribution import agents, commissions, distributors, grades
from services.finance import settlement, withdrawals
from services.ledger import wallet
from services.ledger.ledger import USER
from services.marketing import bargain, coupon_templates, coupons, flash, group, lottery, materials, promotions
from services.merchants import merchants
from services.orders import after_sales, cart, payments
from services.orders import fulfilment as orders
from services.risk import control as risk
from services.stores import bookings as stores_bookings
from services.stores import delivery as stores_delivery
from services.stores import member_cards, payment_requests, punch_cards

MAX_NODES = 100
# Views whose ids are those of another type: node(id:) answers the view the viewer may read.
SHARED_IDS = {"PublicUser": "User", "ManagedMerchant": "Merchant"}

Fetch = Callable[[Info, int], Awaitable[Any]]


def _signed_in(fetch: Fetch) -> Fetch:
    async def signed_in(info: Info, pk: int) -> Any:
        return None if info.context.viewer is None else await fetch(info, pk)

    return signed_in


def _permitted(permission: str, fetch: Fetch) -> Fetch:
    """For types only a platform permission reads (their own queries `requires` it)."""

    async def permitted(info: Info, pk: int) -> Any:
        if info.context.viewer is None or not (await info.context.grants()).has(permission):
            return None
        return await fetch(info, pk)

    return permitted


def _me(info: Info) -> int:
    return info.context.viewer.id


async def _column(model, pk: int, name: str) -> Any:
    """One column of a row (which parent to check), or None."""
    found = await model.filter(id=pk).values_list(name, flat=True)
    return found[0] if found else None


def _one(rows, pk: int) -> Any:
    return next((r for r in rows if r.id == pk), None)


async def _may_manage(info: Info, merchant_id: int, permission: str) -> bool:
    try:
        access.require_merchant(await info.context.grants(), merchant_id, permission)
    except DomainError:
        return False
    return True


# --------------------------------------------------------------------------- accounts


async def _user(info: Info, pk: int) -> Any:
    """User to oneself (`me`) and with user.read (`user(id:)`); to anyone else signed in, the
    PublicUser view (what a referrer shows), which has the same id."""
    if pk == _me(info) or (await info.context.grants()).has("user.read"):
        return await UserModel.get_or_none(id=pk)
    found = await info.context.loaders.user.load(pk)
    return None if found is None else ("PublicUser", PublicUser.from_model(found))


async def _address(info: Info, pk: int) -> Any:
    found = _one(await profile.list_addresses(info.context.viewer), pk)
    return None if found is None else Address.from_model(found)


async def _notification(info: Info, pk: int) -> Any:
    found = await notifications.inbox(_me(info)).filter(id=pk).first()
    return None if found is None else Notification.from_model(found)


async def _ledger_account(info: Info, pk: int) -> Any:
    found = await LedgerAccountModel.get_or_none(id=pk)  # what ledgerAccounts lists
    return None if found is None else LedgerAccount.from_model(found)


async def _statement_line(info: Info, pk: int) -> Any:
    found = await wallet.statement_line(USER, _me(info), pk)
    return None if found is None else StatementLine.from_line(found)


# --------------------------------------------------------------------------- merchants and stores


async def _merchant(info: Info, pk: int) -> Any:
    """ManagedMerchant where `managedMerchant` would answer, else the public Merchant (same id)."""
    if info.context.viewer is not None and await _may_manage(info, pk, "merchant.settings"):
        found = await merchants.managed_merchant(await info.context.grants(), pk)
        if found is not None:
            return "ManagedMerchant", found
    return await merchants.public_merchant(pk)


async def _merchant_child(info: Info, pk: int, model, permission: str, loader: str) -> Any:
    # The row's merchant, then the merchant's own loader: read as ManagedMerchant.staff/.reviews do.
    merchant_id = await _column(model, pk, "merchant_id")
    if merchant_id is None or not await _may_manage(info, merchant_id, permission):
        return None
    return _one(await getattr(info.context.loaders, loader).load(merchant_id), pk)


async def _merchant_review(info: Info, pk: int) -> Any:
    return await _merchant_child(info, pk, MerchantReviewModel, "merchant.settings", "reviews_by_merchant")


async def _merchant_staff(info: Info, pk: int) -> Any:
    return await _merchant_child(info, pk, MerchantStaffModel, "merchant.staff", "staff_by_merchant")


async def _store(info: Info, pk: int) -> Any:
    # Active stores are public (nearestStores); any store to its merchant (ManagedMerchant.stores).
    found = await StoreModel.get_or_none(id=pk)
    if found is None or found.is_active or await _may_manage(info, found.merchant_id, "merchant.settings"):
        return found
    return None


async def _store_staff(info: Info, pk: int) -> Any:
    found = await StoreStaffModel.filter(id=pk).select_related("store").first()
    if found is None or not await _may_manage(info, found.store.merchant_id, "merchant.staff"):
        return None
    return _one(await info.context.loaders.staff_by_store.load(found.store_id), pk)


# --------------------------------------------------------------------------- catalog and content


async def _product(info: Info, pk: int) -> Any:
    return await catalog.product_for_viewer(await info.context.grants(), pk)


async def _sku(info: Info, pk: int) -> Any:  # a SKU of a product the viewer may see (Product.skus)
    product_id = await _column(SkuModel, pk, "product_id")
    if product_id is None or await catalog.product_for_viewer(await info.context.grants(), product_id) is None:
        return None
    return _one(await info.context.loaders.skus_by_product.load(product_id), pk)


async def _category(info: Info, pk: int) -> Any:
    found = await info.context.loaders.category.load(pk)  # what categories and Product.category read
    return found if found is not None and found.is_active else None


async def _stock_movement(info: Info, pk: int) -> Any:
    sku_id = await _column(StockMovementModel, pk, "sku_id")
    if sku_id is None:
        return None
    return await (await stock.movements(await info.context.grants(), sku_id)).filter(id=pk).first()


async def _banner(info: Info, pk: int) -> Any:
    if info.context.viewer is not None and (await info.context.grants()).has("catalog.manage"):
        return _one(await content.all_banners(), pk)
    found = _one(await content.all_banners(), pk)
    return found if found is not None and _one(await content.live_banners(found.placement), pk) else None


# --------------------------------------------------------------------------- orders


async def _order(info: Info, pk: int) -> Any:
    return await orders.visible_order(_me(info), await info.context.grants(), pk)


async def _order_line(info: Info, pk: int) -> Any:
    order_id = await _column(OrderLineModel, pk, "order_id")
    if order_id is None:
        return None
    await orders.visible_order(_me(info), await info.context.grants(), order_id)
    return _one(await info.context.loaders.orders.lines_by_order.load(order_id), pk)


async def _refund(info: Info, pk: int) -> Any:  # through its order, or its payment (Payment.refunds)
    found = await RefundModel.get_or_none(id=pk)
    if found is None:
        return None
    if found.order_id is not None:
        await orders.visible_order(_me(info), await info.context.grants(), found.order_id)
    else:
        await payments.own_payment(_me(info), found.payment_id)
    return found


async def _payment(info: Info, pk: int) -> Any:
    return await payments.own_payment(_me(info), pk)


async def _after_sale(info: Info, pk: int) -> Any:
    return await after_sales.visible_after_sale(_me(info), await info.context.grants(), pk)


async def _cart_item(info: Info, pk: int) -> Any:
    return _one((await cart.view(_me(info))).lines, pk)


# --------------------------------------------------------------------------- consignment, distribution, finance


async def _voucher(info: Info, pk: int) -> Any:
    return await vouchers.my_vouchers(_me(info)).filter(id=pk).first()


async def _wholesale_unit(info: Info, pk: int) -> Any:
    return await consignment.my_units(_me(info)).filter(id=pk).first()


async def _snap_up_session(info: Info, pk: int) -> Any:
    return await snapup.open_sessions().filter(id=pk).first()


async def _commission(info: Info, pk: int) -> Any:
    return await commissions.my_commissions(_me(info)).filter(id=pk).first()


async def _distributor_application(info: Info, pk: int) -> Any:
    # distributorApplications (distribution.manage), or the applicant's own (myDistributorStatus)
    qs = distributors.applications().filter(id=pk)
    if not (await info.context.grants()).has("distribution.manage"):
        qs = qs.filter(user_id=_me(info))
    found = await qs.first()
    return None if found is None else (await _with_names([found]))[0]


async def _grade(info: Info, pk: int) -> Any:
    found = _one(await grades.ladder(), pk)
    return None if found is None else await _grade_view(found)


async def _grade_rule(info: Info, pk: int) -> Any:  # read with its grade (Grade.rules)
    grade_id = await _column(GradeRuleModel, pk, "grade_id")
    if grade_id is None:
        return None
    found = await _grade(info, grade_id)
    return None if found is None else _one_by_pk(found.rules, pk)


def _one_by_pk(rows, pk: int) -> Any:
    return next((r for r in rows if r.pk == pk), None)


async def _agent_assignment(info: Info, pk: int) -> Any:
    # regionalAgents (agent.manage), or one's own (myAgentRegions)
    if (await info.context.grants()).has("agent.manage"):
        return await agents.assignments(active_only=False).filter(id=pk).first()
    return await agents.assignments(user_id=_me(info)).filter(id=pk).first()


async def _withdrawal(info: Info, pk: int) -> Any:
    # myWithdrawal, merchantWithdrawals (merchant.finance), withdrawals (withdrawal.manage)
    grants = await info.context.grants()
    found = await WithdrawalModel.get_or_none(id=pk)
    if found is None:
        return None
    if found.owner_type == USER and found.owner_id == _me(info):
        return await withdrawals.mine(_me(info), pk)
    if grants.has("withdrawal.manage"):
        return await withdrawals.all_withdrawals(grants).filter(id=pk).first()
    if found.owner_type == "MERCHANT":
        return await (await withdrawals.for_merchant(grants, found.owner_id)).filter(id=pk).first()
    return None


async def _settlement_statement(info: Info, pk: int) -> Any:
    row = await settlement.statement_for(await info.context.grants(), pk)
    return _statement(row, await _names([row]))


async def _promotion(info: Info, pk: int) -> Any:
    # its managers (the platform's marketing.manage, the merchant's marketing staff)
    return Promotion(row=await promotions.for_staff(await info.context.grants(), pk))


async def _material(info: Info, pk: int) -> Any:
    # managedMaterials (its managers, hidden too), else the library (distributors, published)
    try:
        return Material(row=await materials.for_staff(await info.context.grants(), pk))
    except DomainError:
        pass
    if not await distributors.is_distributor(_me(info)):
        return None
    try:
        return Material(row=await materials.get_published(pk))
    except DomainError:
        return None


async def _lottery_activity(info: Info, pk: int) -> Any:
    # lotteryActivity (anyone)
    return await activity_node(pk)


async def _lottery_draw(info: Info, pk: int) -> Any:
    # myLotteryDraws (the drawer)
    row = await lottery.my_draws(_me(info)).filter(id=pk).first()
    return None if row is None else LotteryDraw(row=row)


async def _flash_session(info: Info, pk: int) -> Any:  # flashSessions (anyone)
    try:
        return FlashSession(view=await flash.session_view(pk))
    except DomainError:
        return None


async def _flash_item(info: Info, pk: int) -> Any:  # flashSessions' items (anyone)
    view = await flash.item_view(pk)
    return None if view is None else FlashItem(view=view)


async def _group_activity(info: Info, pk: int) -> Any:  # groupActivities (anyone)
    row = await GroupActivityRow.get_or_none(id=pk)
    return None if row is None else GroupActivity(row=row)


async def _group_team(info: Info, pk: int) -> Any:  # groupTeam (anyone: members are masked)
    view = await group.team_view(pk)
    return None if view is None else GroupTeam(view=view)


async def _bargain_activity(info: Info, pk: int) -> Any:  # bargainActivities (anyone)
    row = await bargain.get_activity(pk)
    return None if row is None else BargainActivity(row=row)


async def _bargain(info: Info, pk: int) -> Any:  # bargain(id): a share link (anyone)
    view = await bargain.view(pk)
    return None if view is None else Bargain(view=view)


async def _poster_template(info: Info, pk: int) -> Any:  # posterTemplates (marketing.manage)
    row = await PosterTemplateRow.get_or_none(id=pk)
    return None if row is None else PosterTemplate(row=row)


async def _coupon_template(info: Info, pk: int) -> Any:
    # availableCoupons (anyone), or couponTemplates (the template's managers)
    found = await coupon_templates.claimable_now().filter(id=pk).first()
    if found is not None:
        return (await templates_for_viewer(info, [found]))[0]
    if info.context.viewer is None:
        return None
    row = await coupon_templates.template_for_staff(await info.context.grants(), pk)
    return (await templates_with_counts([row]))[0]


async def _user_coupon(info: Info, pk: int) -> Any:  # myCoupons
    row = await coupons.mine(_me(info)).filter(id=pk).first()
    return None if row is None else UserCoupon(row=row)


async def _risk_case(info: Info, pk: int) -> Any:
    return (await _with_items([await risk.get_case(pk)]))[0]


async def _risk_rule(info: Info, pk: int) -> Any:
    return _one(await risk.list_rules(), pk)


async def _risk_audit_entry(info: Info, pk: int) -> Any:
    return await risk.audit().filter(id=pk).first()


async def _member_card(info: Info, pk: int) -> Any:  # myMemberCards, or the merchant's order staff
    try:
        return await member_cards.card_for(_me(info), await info.context.grants(), pk)
    except DomainError:
        return None


async def _store_payment_request(info: Info, pk: int) -> Any:  # storePaymentRequests (the store's staff)
    return await payment_requests.staff_request(await info.context.grants(), pk)


async def _punch_card(info: Info, pk: int) -> Any:  # myPunchCards, or the merchant's order staff
    try:
        return await punch_cards.card_for(_me(info), await info.context.grants(), pk)
    except DomainError:
        return None


async def _member_card_plan(info: Info, pk: int) -> Any:  # memberCardPlans
    return await MemberCardPlanModel.get_or_none(id=pk, is_active=True)


async def _service_item(info: Info, pk: int) -> Any:  # storeServiceItems (active ones: anyone)
    return await stores_bookings.active_item(pk)


async def _booking(info: Info, pk: int) -> Any:  # myBooking, or storeBookings for the store's staff
    return await stores_bookings.visible_booking(_me(info), await info.context.grants(), pk)


async def _store_delivery(info: Info, pk: int) -> Any:  # orderStoreDelivery
    order_id = await _column(StoreDeliveryModel, pk, "order_id")
    if order_id is None:
        return None
    return await stores_delivery.visible_delivery(_me(info), await info.context.grants(), order_id)


FETCHERS: dict[str, Fetch] = {
    "User": _signed_in(_user),
    "Address": _signed_in(_address),
    "Notification": _signed_in(_notification),
    "LedgerAccount": _permitted("ledger.read", _ledger_account),
    "StatementLine": _signed_in(_statement_line),
    "Merchant": _merchant,
    "MerchantReview": _signed_in(_merchant_review),
    "MerchantStaffMember": _signed_in(_merchant_staff),
    "Store": _store,
    "StoreStaffMember": _signed_in(_store_staff),
    "Product": _product,
    "Sku": _sku,
    "Category": _category,
    "StockMovement": _signed_in(_stock_movement),
    "Banner": _banner,
    "Order": _signed_in(_order),
    "OrderLine": _signed_in(_order_line),
    "Refund": _signed_in(_refund),
    "Payment": _signed_in(_payment),
    "AfterSale": _signed_in(_after_sale),
    "CartItem": _signed_in(_cart_item),
    "Voucher": _signed_in(_voucher),
    "WholesaleUnit": _signed_in(_wholesale_unit),
    "SnapUpSession": _snap_up_session,
    "Commission": _signed_in(_commission),
    "DistributorApplication": _signed_in(_distributor_application),
    "Grade": _grade,
    "GradeRule": _grade_rule,
    "AgentAssignment": _signed_in(_agent_assignment),
    "Withdrawal": _signed_in(_withdrawal),
    "SettlementStatement": _signed_in(_settlement_statement),
    "CouponTemplate": _coupon_template,
    "Promotion": _signed_in(_promotion),
    "FlashSession": _flash_session,
    "FlashItem": _flash_item,
    "GroupActivity": _group_activity,
    "GroupTeam": _group_team,
    "BargainActivity": _bargain_activity,
    "Bargain": _bargain,
    "Material": _signed_in(_material),
    "PosterTemplate": _permitted("marketing.manage", _poster_template),
    "UserCoupon": _signed_in(_user_coupon),
    "LotteryActivity": _lottery_activity,
    "LotteryDraw": _signed_in(_lottery_draw),
    "RiskCase": _permitted("risk.manage", _risk_case),
    "RiskRule": _permitted("risk.manage", _risk_rule),
    "RiskAuditEntry": _permitted("risk.manage", _risk_audit_entry),
    "MemberCard": _signed_in(_member_card),
    "MemberCardPlan": _signed_in(_member_card_plan),
    "PunchCard": _signed_in(_punch_card),
    "ServiceItem": _service_item,
    "Booking": _signed_in(_booking),
    "StoreDelivery": _signed_in(_store_delivery),
    "StorePaymentRequest": _signed_in(_store_payment_request),
}


async def fetch_node(info: Info, type_name: str, pk: int) -> Any:
    """The object, cast to its type, or None where the viewer may not read it."""
    try:
        found = await FETCHERS[type_name](info, pk)
    except DomainError:  # NOT_FOUND, FORBIDDEN ... from the type's own service: null here
        return None
    if isinstance(found, tuple):  # another view of the same object, under the same id
        type_name, found = found
    return None if found is None else strawberry.cast(info.schema.get_type_by_name(type_name).origin, found)


def _parse(value: strawberry.ID, field: str) -> tuple[str, int]:
    return parse_typed_id(value, field, of=tuple(FETCHERS))


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any object by its global id; null when it does not exist or the viewer may not read it."
    )
    @api_errors
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
    ) -> Node | None:
        return await fetch_node(info, *_parse(id, "id"))

    @strawberry.field(
        description=f"Objects by their global ids, in the same order (null where `node` would be null); at most {MAX_NODES}."
    )
    @api_errors
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description=f"Global ids, at most {MAX_NODES}.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_NODES} ids.", "ids")
        parsed = [_parse(i, "ids") for i in ids]
        return [await fetch_node(info, type_name, pk) for type_name, pk in parsed]


def check_fetchers(node_types: dict[str, type]) -> None:
    """Every Node type of the schema has a fetcher (called when the schema is built)."""
    missing = set(node_types) - set(FETCHERS) - set(SHARED_IDS)
    if missing or set(FETCHERS) - global_ids.node_type_names():
        raise RuntimeError(f"Node types without a fetcher in resolvers/nodes.py: {sorted(missing)}")
