"""Merchants (MER-1, MER-3): application and review, the self-operated merchant, settings,
platform commission rates, and staff.

Platform decisions (review, rates) are taken by administrators (`merchant.manage`, checked
by the API gate and passed in as the actor). Merchant back-office actions take the caller's
`Grants` and check the permission for that merchant with `access.require_merchant`, so the
staff of one merchant can never touch another's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from models.accounts import User
from models.catalog import Category
from models.merchants import Merchant, MerchantCategoryRate, MerchantReview, MerchantStaff
from services.accounts import notifications, referral, review_queues
from services.accounts.access import MERCHANT_PERMISSIONS, OWNER_PERMISSIONS, Grants, require_merchant
from services.core import clock, sensitive
from services.core.errors import DomainError, ErrorCode
from services.core.events import public_data_changed, unit_of_work
from services.core.money import fen_to_decimal_string
from services.core.phones import normalize_phone
from services.core.states import StateMachine, Transition
from services.core.validation import http_url

PENDING, ACTIVE, REJECTED, SUSPENDED = "PENDING", "ACTIVE", "REJECTED", "SUSPENDED"
STATUSES = (PENDING, ACTIVE, REJECTED, SUSPENDED)
SELF_OPERATED, THIRD_PARTY = "SELF_OPERATED", "THIRD_PARTY"
SELF_OPERATED_NAME = "平台自营"
SYSTEM_USER_NICKNAME = "平台自营"

# The review state machine: each decision's source state and target state.
MERCHANT_STATES = StateMachine(
    "merchant",
    {
        "APPROVE": Transition(PENDING, ACTIVE, stamp="reviewed_at"),
        "REJECT": Transition(PENDING, REJECTED, stamp="reviewed_at"),
        "SUSPEND": Transition(ACTIVE, SUSPENDED, stamp="reviewed_at"),
        "REINSTATE": Transition(SUSPENDED, ACTIVE, stamp="reviewed_at"),
    },
    field="id",
)
REASON_REQUIRED = {"REJECT", "SUSPEND"}
MAX_RATE_BP = 10_000
MAX_SHIPPING_FEN = 10_000_00  # 10,000 yuan: anything above is a typo
MAX_STOCK_THRESHOLD = 1_000_000


# --------------------------------------------------------------------------- validation


def _text(value: str, field: str, label: str, max_len: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if (required and not value) or len(value) > max_len:
        lo = 1 if required else 0
        raise DomainError(ErrorCode.INVALID_INPUT, f"{label} has {lo} to {max_len} characters.", field)
    return value


def _rate(rate_bp: int, field: str = "rateBp") -> int:
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= MAX_RATE_BP:
        raise DomainError(ErrorCode.INVALID_RATE, "A rate is 0 to 10000 basis points (0 to 100 %).", field)
    return rate_bp


def clean_permissions(permissions: list[str]) -> list[str]:
    """A subset of the merchant permissions an owner may grant, sorted, without repeats."""
    unknown = [p for p in permissions if p not in MERCHANT_PERMISSIONS]
    if unknown:
        raise DomainError(
            ErrorCode.INVALID_PERMISSION,
            f"Unknown merchant permission {unknown[0]!r}; use {', '.join(MERCHANT_PERMISSIONS)}.",
            "permissions",
        )
    return sorted(set(permissions))


# --------------------------------------------------------------------------- application and review


@dataclass
class Application:
    name: str
    legal_name: str
    business_license_no: str
    contact_name: str
    contact_phone: str
    description: str = ""
    logo_url: str = ""


def _clean_application(data: Application) -> dict:
    return {
        "name": _text(data.name, "name", "A merchant name", 64),
        "legal_name": _text(data.legal_name, "legalName", "The legal name", 128),
        "business_license_no": _text(data.business_license_no, "businessLicenseNo", "The licence number", 64),
        "contact_name": _text(data.contact_name, "contactName", "The contact name", 64),
        **sensitive.seal("contact_phone", normalize_phone(data.contact_phone or "", "contactPhone")),
        "description": _text(data.description, "description", "The description", 1024, required=False),
        "logo_url": http_url(data.logo_url, "logoUrl"),
    }


# The partial unique index of migration 0004 on lower(name) for merchants not REJECTED.
NAME_INDEX = "merchant_name_live_uidx"


def _is_name_clash(exc: IntegrityError) -> bool:
    return NAME_INDEX in str(exc)


REVIEW_QUEUE = "MERCHANT_APPLICATIONS"


async def pending_review_count() -> int:
    return await Merchant.filter(status=PENDING).count()


# Its admin review queue; wiring.py registers it.
REVIEW = review_queues.ReviewQueue(
    REVIEW_QUEUE, "merchant.manage", "Merchant applications awaiting review.", pending_review_count
)


async def apply(user: User, data: Application) -> Merchant:
    """A signed-in user applies to become a merchant: a PENDING merchant they own.

    One open (pending) application per user; a rejected applicant may apply again.
    Names are unique, case-insensitively, among merchants that are not REJECTED: a
    rejected application keeps its name and does not block it. The database's partial
    unique index decides (no check-then-act), so of concurrent applications for one name
    exactly one succeeds and the others get MERCHANT_NAME_TAKEN.
    """
    fields = _clean_application(data)
    async with unit_of_work():
        # Lock the applicant (PostgreSQL) so two concurrent applications cannot both pass.
        await User.filter(id=user.id).select_for_update().first()
        if await Merchant.exists(owner_id=user.id, status=PENDING):
            raise DomainError(ErrorCode.ALREADY_APPLIED, "You already have an application under review.")
        try:
            async with unit_of_work():  # a savepoint: the transaction survives a failed insert
                merchant = await Merchant.create(owner_id=user.id, kind=THIRD_PARTY, status=PENDING, **fields)
                review_queues.changed(REVIEW_QUEUE)
                return merchant
        except IntegrityError as exc:
            if not _is_name_clash(exc):
                raise
            raise DomainError(ErrorCode.MERCHANT_NAME_TAKEN, "A merchant with this name exists.", "name") from None


_NOTICES = {
    "APPROVE": ("Merchant application approved", "Your merchant {name} is open for business."),
    "REJECT": ("Merchant application rejected", "Your application for {name} was rejected: {reason}"),
    "SUSPEND": ("Merchant suspended", "Your merchant {name} was suspended: {reason}"),
    "REINSTATE": ("Merchant reinstated", "Your merchant {name} is active again."),
}


async def review(actor_id: int, merchant_id: int, action: str, reason: str = "") -> Merchant:
    """An administrator's decision (APPROVE / REJECT / SUSPEND / REINSTATE): applies the
    transition, audits it in MerchantReview and notifies the owner, in one transaction."""
    reason = (reason or "").strip()
    if len(reason) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A reason has at most 256 characters.", "reason")
    if action in REASON_REQUIRED and not reason:
        raise DomainError(ErrorCode.INVALID_INPUT, "Give a reason the merchant can act on.", "reason")
    async with unit_of_work():
        merchant = await Merchant.filter(id=merchant_id).select_for_update().first()
        if merchant is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "id")
        changes: dict = {}
        if action == "REJECT":
            changes["reject_reason"] = reason
        elif action == "APPROVE":
            changes["reject_reason"] = ""
        from_status = await MERCHANT_STATES.apply(merchant, action, **changes)
        await MerchantReview.create(
            merchant_id=merchant_id,
            action=action,
            from_status=from_status,
            to_status=merchant.status,
            actor_id=actor_id,
            reason=reason,
        )
        if from_status == PENDING:
            review_queues.changed(REVIEW_QUEUE)
        public_data_changed()  # an active merchant's page, products and stores appear or go
        title, body = _NOTICES[action]
        await notifications.notify(
            merchant.owner_id,
            kind=f"MERCHANT_{action}",
            title=title,
            body=body.format(name=merchant.name, reason=reason),
            data={"merchantId": str(merchant_id), "status": merchant.status},
        )
    return await Merchant.get(id=merchant_id)


async def ensure_self_operated_merchant() -> Merchant:
    """The platform's own (self-operated) merchant, ACTIVE, owned by a system user.
    Idempotent: run by `manage migrate` on every release."""
    existing = await Merchant.filter(kind=SELF_OPERATED).order_by("id").first()
    if existing is not None:
        return existing
    try:
        async with unit_of_work():
            owner = (
                await User.filter(nickname=SYSTEM_USER_NICKNAME, phone_hash=None, wechat_openid=None)
                .order_by("id")
                .first()
            )
            if owner is None:
                owner = await referral.create_user(nickname=SYSTEM_USER_NICKNAME)
            return await Merchant.create(
                name=SELF_OPERATED_NAME,
                kind=SELF_OPERATED,
                status=ACTIVE,
                owner_id=owner.id,
                legal_name=SELF_OPERATED_NAME,
                description="Goods sold by the platform itself.",
                reviewed_at=clock.now(),
            )
    except IntegrityError:  # another host ran this at the same moment
        found = await Merchant.filter(kind=SELF_OPERATED).order_by("id").first()
        if found is None:
            raise
        return found


# --------------------------------------------------------------------------- reading


async def get_merchant(merchant_id: int) -> Merchant:
    merchant = await Merchant.get_or_none(id=merchant_id)
    if merchant is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    return merchant


async def public_merchant(merchant_id: int) -> Merchant | None:
    """What anyone may see: active merchants only."""
    return await Merchant.get_or_none(id=merchant_id, status=ACTIVE)


async def managed_merchant(grants: Grants, merchant_id: int) -> Merchant | None:
    """The private view, for holders of merchant.settings there and administrators.
    The permission is checked before the lookup: an outsider cannot probe which ids exist."""
    require_merchant(grants, merchant_id, "merchant.settings")
    return await Merchant.get_or_none(id=merchant_id)


@dataclass
class Membership:
    merchant: Merchant
    role: str  # OWNER / STAFF
    permissions: list[str]


async def memberships(user_id: int) -> list[Membership]:
    """Merchants the user owns or works for, with the permissions held there."""
    found: list[Membership] = []
    for merchant in await Merchant.filter(owner_id=user_id).order_by("id"):
        found.append(Membership(merchant, "OWNER", sorted(OWNER_PERMISSIONS)))
    owned = {m.merchant.id for m in found}
    for job in await MerchantStaff.filter(user_id=user_id).select_related("merchant").order_by("merchant_id"):
        if job.merchant_id not in owned:
            found.append(
                Membership(
                    job.merchant, "STAFF", clean_permissions([p for p in job.permissions if p in MERCHANT_PERMISSIONS])
                )
            )
    return found


def applications(status: str | None = None):
    """Admin review queue (a queryset, paginated by the caller)."""
    query = Merchant.all()
    if status is not None:
        if status not in STATUSES:
            raise DomainError(ErrorCode.INVALID_INPUT, "Unknown status.", "status")
        query = query.filter(status=status)
    return query


# --------------------------------------------------------------------------- settings


@dataclass
class SettingsChange:
    """None leaves a setting unchanged."""

    description: str | None = None
    logo_url: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    shipping_fee: int | None = None
    free_shipping_threshold: int | None = None
    low_stock_threshold: int | None = None
    auto_delist_at_zero: bool | None = None


def _fen(value: int, field: str) -> int:
    if not 0 <= value <= MAX_SHIPPING_FEN:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, f"Amounts are 0 to {fen_to_decimal_string(MAX_SHIPPING_FEN)} yuan.", field
        )
    return value


def _clean_settings(data: SettingsChange) -> dict:
    changes: dict = {}
    if data.description is not None:
        changes["description"] = _text(data.description, "description", "The description", 1024, required=False)
    if data.logo_url is not None:
        changes["logo_url"] = http_url(data.logo_url, "logoUrl")
    if data.contact_name is not None:
        changes["contact_name"] = _text(data.contact_name, "contactName", "The contact name", 64)
    if data.contact_phone is not None:
        changes.update(sensitive.seal("contact_phone", normalize_phone(data.contact_phone, "contactPhone")))
    if data.shipping_fee is not None:
        changes["shipping_fee"] = _fen(data.shipping_fee, "shippingFee")
    if data.free_shipping_threshold is not None:
        changes["free_shipping_threshold"] = _fen(data.free_shipping_threshold, "freeShippingThreshold")
    if data.low_stock_threshold is not None:
        if not 0 <= data.low_stock_threshold <= MAX_STOCK_THRESHOLD:
            raise DomainError(ErrorCode.INVALID_INPUT, "The low-stock threshold is 0 to 1000000.", "lowStockThreshold")
        changes["low_stock_threshold"] = data.low_stock_threshold
    if data.auto_delist_at_zero is not None:
        changes["auto_delist_at_zero"] = data.auto_delist_at_zero
    return changes


async def update_settings(grants: Grants, merchant_id: int, data: SettingsChange) -> Merchant:
    require_merchant(grants, merchant_id, "merchant.settings")
    changes = _clean_settings(data)
    async with unit_of_work():
        merchant = await get_merchant(merchant_id)
        if merchant.status == REJECTED:
            raise DomainError(
                ErrorCode.MERCHANT_NOT_ACTIVE, "This application was rejected; apply again.", "merchantId"
            )
        if changes:
            await Merchant.filter(id=merchant_id).update(**changes)
            public_data_changed()  # description and logo are on its public page
    return await Merchant.get(id=merchant_id)


# --------------------------------------------------------------------------- commission (抽点)


async def set_commission_rate(merchant_id: int, rate_bp: int) -> Merchant:
    """Administrators: the merchant's platform commission in basis points (500 = 5 %)."""
    rate_bp = _rate(rate_bp)
    async with unit_of_work():
        await get_merchant(merchant_id)
        await Merchant.filter(id=merchant_id).update(commission_rate_bp=rate_bp)
    return await Merchant.get(id=merchant_id)


async def set_category_rate(merchant_id: int, category_id: int, rate_bp: int | None) -> Merchant:
    """Administrators: override the rate for one category (and its subcategories);
    `None` removes the override."""
    if rate_bp is not None:
        rate_bp = _rate(rate_bp)
    async with unit_of_work():
        await get_merchant(merchant_id)
        if not await Category.exists(id=category_id):
            raise DomainError(ErrorCode.NOT_FOUND, "No such category.", "categoryId")
        if rate_bp is None:
            await MerchantCategoryRate.filter(merchant_id=merchant_id, category_id=category_id).delete()
        elif not await MerchantCategoryRate.filter(merchant_id=merchant_id, category_id=category_id).update(
            commission_rate_bp=rate_bp
        ):
            await MerchantCategoryRate.create(
                merchant_id=merchant_id, category_id=category_id, commission_rate_bp=rate_bp
            )
    return await Merchant.get(id=merchant_id)


def _ancestry(category_id: int, path: str) -> list[int]:
    """Category ids from the root down to `category_id`, from its materialised path."""
    ids = [int(part) for part in path.split("/") if part.isdigit()]
    if not ids or ids[-1] != category_id:
        ids.append(category_id)
    return ids


async def commission_rate_bp(merchant_id: int, category_id: int | None) -> int:
    """The platform commission rate (basis points) for goods of this merchant in this
    category: the override of the category or of its nearest overridden ancestor, else
    the merchant's rate. Used by settlement (FIN-4)."""
    rows = await Merchant.filter(id=merchant_id).values_list("commission_rate_bp", flat=True)
    if not rows:
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    if category_id is None:
        return rows[0]
    paths = await Category.filter(id=category_id).values_list("path", flat=True)
    lineage = _ancestry(category_id, paths[0] if paths else "")
    overrides = dict(
        await MerchantCategoryRate.filter(merchant_id=merchant_id, category_id__in=lineage).values_list(
            "category_id", "commission_rate_bp"
        )
    )
    for cid in reversed(lineage):  # nearest first
        if cid in overrides:
            return overrides[cid]
    return rows[0]


# --------------------------------------------------------------------------- staff


async def find_user(user_id: int | None, phone: str | None) -> User:
    if (user_id is None) == (phone is None):
        raise DomainError(ErrorCode.INVALID_INPUT, "Give either a user id or a phone number.", "userId")
    if user_id is not None:
        user = await User.get_or_none(id=user_id, is_active=True)
        field = "userId"
    else:
        user = await User.get_or_none(phone_hash=sensitive.blind_index(normalize_phone(phone)), is_active=True)
        field = "phone"
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", field)
    return user


async def add_staff(
    grants: Grants,
    actor_id: int,
    merchant_id: int,
    *,
    user_id: int | None = None,
    phone: str | None = None,
    permissions: list[str],
) -> MerchantStaff:
    """The owner (merchant.staff) adds a staff member with some merchant permissions."""
    require_merchant(grants, merchant_id, "merchant.staff")
    permissions = clean_permissions(permissions)
    async with unit_of_work():
        merchant = await get_merchant(merchant_id)
        if merchant.status == REJECTED:
            raise DomainError(ErrorCode.MERCHANT_NOT_ACTIVE, "This application was rejected.", "merchantId")
        user = await find_user(user_id, phone)
        if user.id == merchant.owner_id:
            raise DomainError(ErrorCode.INVALID_INPUT, "The owner holds every permission already.", "userId")
        if await MerchantStaff.exists(merchant_id=merchant_id, user_id=user.id):
            raise DomainError(
                ErrorCode.INVALID_INPUT, "Already on the staff: change their permissions instead.", "userId"
            )
        try:
            async with unit_of_work():
                staff = await MerchantStaff.create(
                    merchant_id=merchant_id, user_id=user.id, permissions=permissions, created_by_id=actor_id
                )
        except IntegrityError:
            raise DomainError(ErrorCode.INVALID_INPUT, "Already on the staff.", "userId") from None
        await notifications.notify(
            user.id,
            kind="MERCHANT_STAFF_ADDED",
            title="You joined a merchant's staff",
            body=f"You now work for {merchant.name}.",
            data={"merchantId": str(merchant_id)},
        )
    return staff


async def _staff_row(merchant_id: int, user_id: int) -> MerchantStaff:
    row = await MerchantStaff.get_or_none(merchant_id=merchant_id, user_id=user_id)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This user is not on the staff.", "userId")
    return row


async def set_staff_permissions(
    grants: Grants, merchant_id: int, user_id: int, permissions: list[str]
) -> MerchantStaff:
    require_merchant(grants, merchant_id, "merchant.staff")
    permissions = clean_permissions(permissions)
    async with unit_of_work():
        row = await _staff_row(merchant_id, user_id)
        await MerchantStaff.filter(id=row.id).update(permissions=permissions)
    return await MerchantStaff.get(id=row.id)


async def remove_staff(grants: Grants, merchant_id: int, user_id: int) -> None:
    require_merchant(grants, merchant_id, "merchant.staff")
    async with unit_of_work():
        row = await _staff_row(merchant_id, user_id)
        await row.delete()


async def staff_of(merchant_id: int) -> list[MerchantStaff]:
    return await MerchantStaff.filter(merchant_id=merchant_id).order_by("id")


async def reviews_of(merchant_id: int) -> list[MerchantReview]:
    return await MerchantReview.filter(merchant_id=merchant_id).order_by("id")


async def category_rates_of(merchant_id: int) -> list[MerchantCategoryRate]:
    return await MerchantCategoryRate.filter(merchant_id=merchant_id).order_by("category_id")
