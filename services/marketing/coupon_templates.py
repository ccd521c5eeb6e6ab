"""Coupon templates (MKT-1, MKT-6): what a coupon is worth, where it applies, how long it is
valid, how many exist. The platform's are run by admins with `marketing.manage`; a
merchant's by its staff with `merchant.marketing`, on its own goods only, at its own cost.

A template is DRAFT, ACTIVE (claimable and issuable), PAUSED (neither, for now) or ENDED
(for good); coupons already held stay usable until they expire either way. Every change is
a transition of `TEMPLATE_STATES` (one conditional UPDATE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import F, Q

from models.catalog import Category, Product
from models.marketing import CouponTemplate
from models.merchants import Merchant
from services.accounts.access import Grants, require_merchant
from services.catalog.products import ZONES
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.states import StateMachine, Transition
from services.marketing import offers
from services.merchants.merchants import ACTIVE as MERCHANT_ACTIVE

DRAFT, ACTIVE, PAUSED, ENDED = "DRAFT", "ACTIVE", "PAUSED", "ENDED"
STATUSES = (DRAFT, ACTIVE, PAUSED, ENDED)
TEMPLATE_STATES = StateMachine(
    "coupon template",
    {
        "ACTIVATE": Transition({DRAFT, PAUSED}, ACTIVE, stamp="activated_at"),
        "PAUSE": Transition(ACTIVE, PAUSED),
        "END": Transition({DRAFT, ACTIVE, PAUSED}, ENDED, stamp="ended_at"),
    },
    touch="updated_at",
    field="id",
)

PLATFORM_PERMISSION = "marketing.manage"
MERCHANT_PERMISSION = "merchant.marketing"
MAX_QUANTITY = 10**7
MAX_PER_USER = 100
MAX_VALID_DAYS = 3650
MAX_SCOPE_IDS = 200


@dataclass(frozen=True)
class ScopeData:
    category_ids: tuple[int, ...] = ()
    product_ids: tuple[int, ...] = ()
    merchant_ids: tuple[int, ...] = ()
    zones: tuple[str, ...] = ()
    excluded_category_ids: tuple[int, ...] = ()
    excluded_product_ids: tuple[int, ...] = ()
    excluded_zones: tuple[str, ...] | None = None  # None: the default (the wholesale zone)


@dataclass(frozen=True)
class TemplateData:
    name: str
    kind: str
    total_quantity: int
    merchant_id: int | None = None  # None: the platform's
    description: str = ""
    amount: int = 0
    rate_bp: int = 0
    cap: int = 0
    threshold: int = 0
    scope: ScopeData = field(default_factory=ScopeData)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int = 0
    per_user_limit: int = 1
    stacks: bool = False
    claimable: bool = True
    activate: bool = True  # ACTIVE at once, else DRAFT


_SCOPE_KEYS = {
    "category_ids": "categoryIds",
    "product_ids": "productIds",
    "merchant_ids": "merchantIds",
    "zones": "zones",
    "excluded_category_ids": "excludedCategoryIds",
    "excluded_product_ids": "excludedProductIds",
    "excluded_zones": "excludedZones",
}


def scope_json(scope: ScopeData) -> dict:
    """The stored form: sorted lists; `excludedZones` always written (the default resolved)."""
    values = {key: sorted(set(getattr(scope, key) or ())) for key in _SCOPE_KEYS if key != "excluded_zones"}
    excluded = (
        sorted(offers.DEFAULT_EXCLUDED_ZONES) if scope.excluded_zones is None else sorted(set(scope.excluded_zones))
    )
    return {_SCOPE_KEYS[k]: v for k, v in values.items() if v} | {"excludedZones": excluded}


def scope_of(stored: dict) -> offers.Scope:
    """The pricing pipeline's Scope of a stored scope."""
    get = lambda key: frozenset(stored.get(_SCOPE_KEYS[key], ()))  # noqa: E731
    return offers.Scope(
        category_ids=get("category_ids"),
        product_ids=get("product_ids"),
        merchant_ids=get("merchant_ids"),
        zones=get("zones"),
        excluded_category_ids=get("excluded_category_ids"),
        excluded_product_ids=get("excluded_product_ids"),
        excluded_zones=get("excluded_zones") if "excludedZones" in stored else offers.DEFAULT_EXCLUDED_ZONES,
    )


def offer_of(template: CouponTemplate, coupon_id: int = 0) -> offers.Coupon:
    """The pricing pipeline's Coupon of a template (as held in user coupon `coupon_id`)."""
    return offers.Coupon(
        id=coupon_id,
        kind=template.kind,
        funder=template.merchant_id,
        amount=template.amount,
        rate_bp=template.rate_bp,
        cap=template.cap,
        threshold=template.threshold,
        scope=scope_of(template.scope),
        stacks=template.stacks,
        template_id=template.id,
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def authorize(grants: Grants, merchant_id: int | None) -> None:
    """The platform's templates: marketing.manage; a merchant's: merchant.marketing there."""
    if merchant_id is None:
        if not grants.has(PLATFORM_PERMISSION):
            raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {PLATFORM_PERMISSION} permission.")
    else:
        require_merchant(grants, merchant_id, MERCHANT_PERMISSION)


async def check_issuer(grants: Grants, merchant_id: int | None, name: str, description: str = "") -> str:
    """The caller may run this issuer's offers (FORBIDDEN), the merchant is there and active
    (NOT_FOUND, MERCHANT_NOT_ACTIVE), the name fits (INVALID_INPUT). Returns the name, trimmed."""
    authorize(grants, merchant_id)
    if merchant_id is not None:
        merchant = await Merchant.get_or_none(id=merchant_id)
        if merchant is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
        if merchant.status != MERCHANT_ACTIVE:
            raise DomainError(ErrorCode.MERCHANT_NOT_ACTIVE, "The merchant is not active.", "merchantId")
    name = (name or "").strip()
    if not 1 <= len(name) <= 64 or len(description) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A name of 1 to 64 characters, a description up to 256.", "name")
    return name


async def check_scope(scope: ScopeData, merchant_id: int | None) -> dict:
    """A scope's ids exist and, for a merchant's offer, are its own; returns the stored form."""
    return await _check_scope(scope, merchant_id)


async def _check_scope(scope: ScopeData, merchant_id: int | None) -> dict:
    lists = [getattr(scope, key) or () for key in _SCOPE_KEYS]
    if any(len(ids) > MAX_SCOPE_IDS for ids in lists):
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_SCOPE_IDS} of each in a scope.", "scope")
    zones = {*scope.zones, *(scope.excluded_zones or ())}
    if zones - set(ZONES):
        raise DomainError(ErrorCode.INVALID_INPUT, f"Unknown zone {sorted(zones - set(ZONES))[0]}.", "scope.zones")
    stored = scope_json(scope)
    categories = {*scope.category_ids, *scope.excluded_category_ids}
    if categories and await Category.filter(id__in=categories).count() != len(categories):
        raise DomainError(ErrorCode.NOT_FOUND, "No such category.", "scope.categoryIds")
    products = {*scope.product_ids, *scope.excluded_product_ids}
    if products:
        owners = dict(await Product.filter(id__in=products).values_list("id", "merchant_id"))
        if len(owners) != len(products):
            raise DomainError(ErrorCode.NOT_FOUND, "No such product.", "scope.productIds")
        if merchant_id is not None and set(owners.values()) - {merchant_id}:
            raise DomainError(ErrorCode.FORBIDDEN, "A merchant's offer covers only its own goods.", "scope.productIds")
    merchants = set(scope.merchant_ids)
    if merchant_id is not None and merchants - {merchant_id}:
        raise DomainError(ErrorCode.FORBIDDEN, "A merchant's offer covers only its own goods.", "scope.merchantIds")
    if merchants and await Merchant.filter(id__in=merchants).count() != len(merchants):
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "scope.merchantIds")
    return stored


def _check_validity(data: TemplateData) -> dict:
    fixed = data.valid_from is not None or data.valid_until is not None
    if fixed == bool(data.valid_days):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Give either a validity window (from, until) or validDays, not both.", "validDays"
        )
    if not fixed:
        if not _is_int(data.valid_days) or not 1 <= data.valid_days <= MAX_VALID_DAYS:
            raise DomainError(ErrorCode.INVALID_INPUT, f"validDays is 1 to {MAX_VALID_DAYS}.", "validDays")
        return {"valid_days": data.valid_days}
    if data.valid_from is None or data.valid_until is None:
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "A validity window has a start and an end.", "validUntil")
    if data.valid_until <= data.valid_from or data.valid_until <= clock.now():
        raise DomainError(
            ErrorCode.INVALID_DATE_RANGE, "A validity window ends after it starts, in the future.", "validUntil"
        )
    return {"valid_from": data.valid_from, "valid_until": data.valid_until}


async def create_template(grants: Grants, actor_id: int | None, data: TemplateData) -> CouponTemplate:
    """Raises FORBIDDEN, NOT_FOUND, MERCHANT_NOT_ACTIVE, INVALID_INPUT, INVALID_AMOUNT,
    INVALID_RATE, INVALID_DATE_RANGE; nothing is written then."""
    name = await check_issuer(grants, data.merchant_id, data.name, data.description)
    if not _is_int(data.total_quantity) or not 1 <= data.total_quantity <= MAX_QUANTITY:
        raise DomainError(ErrorCode.INVALID_INPUT, f"totalQuantity is 1 to {MAX_QUANTITY}.", "totalQuantity")
    if not _is_int(data.per_user_limit) or not 1 <= data.per_user_limit <= MAX_PER_USER:
        raise DomainError(ErrorCode.INVALID_INPUT, f"perUserLimit is 1 to {MAX_PER_USER}.", "perUserLimit")
    stored_scope = await _check_scope(data.scope, data.merchant_id)
    values = dict(
        merchant_id=data.merchant_id,
        kind=data.kind,
        amount=data.amount,
        rate_bp=data.rate_bp,
        cap=data.cap,
        threshold=data.threshold,
        stacks=data.stacks,
    )
    template = CouponTemplate(**values, scope=stored_scope)
    offers.check_coupon(offer_of(template))  # kind, amounts, rates, the merchant's own scope
    validity = _check_validity(data)
    now = clock.now()
    return await CouponTemplate.create(
        **values,
        **validity,
        scope=stored_scope,
        name=name,
        description=data.description,
        total_quantity=data.total_quantity,
        per_user_limit=data.per_user_limit,
        claimable=data.claimable,
        status=ACTIVE if data.activate else DRAFT,
        activated_at=now if data.activate else None,
        created_by_id=actor_id,
    )


async def template_for_staff(grants: Grants, template_id: int, field_name: str = "id") -> CouponTemplate:
    template = await CouponTemplate.get_or_none(id=template_id)
    if template is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such coupon template.", field_name)
    authorize(grants, template.merchant_id)
    return template


async def change_status(grants: Grants, template_id: int, action: str) -> CouponTemplate:
    """ACTIVATE, PAUSE or END a template (INVALID_TRANSITION from a state that does not allow it)."""
    async with unit_of_work() as conn:
        template = await template_for_staff(grants, template_id)
        await TEMPLATE_STATES.apply(template, action, conn=conn)
    return template


def managed(model, grants: Grants, merchant_id: int | None, status: str | None = None):
    """Offers (`model`: coupon templates, promotions) for their managers: one merchant's (its
    marketing staff: FORBIDDEN otherwise); without a merchant, the platform's for
    marketing.manage, else those of the merchants where the user holds merchant.marketing
    (none for a customer)."""
    if merchant_id is not None:
        authorize(grants, merchant_id)
        query = model.filter(merchant_id=merchant_id)
    elif grants.has(PLATFORM_PERMISSION):
        query = model.filter(merchant_id=None)
    else:
        query = model.filter(merchant_id__in=grants.merchant_ids(MERCHANT_PERMISSION))
    return query.filter(status=status) if status else query


def templates_for_staff(grants: Grants, merchant_id: int | None, status: str | None = None):
    return managed(CouponTemplate, grants, merchant_id, status)


def claimable_now(merchant_id: int | None = None, *, platform_only: bool = False):
    """The storefront's list: ACTIVE, claimable templates with coupons left, not past their window."""
    now = clock.now()
    query = CouponTemplate.filter(status=ACTIVE, claimable=True, claimed_count__lt=F("total_quantity")).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    )
    if merchant_id is not None:
        query = query.filter(merchant_id=merchant_id)
    elif platform_only:
        query = query.filter(merchant_id=None)
    return query
