"""Roles and permissions as data (ACC-3).

The built-in catalogue below is synced into the database by `sync_catalog()` (run by
`manage migrate` and at start-up); admins can then grant roles. Every signed-in user is
implicitly a customer: owning a thing (an address, an order) is checked by the service
that owns it, not by a role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.access import Permission, Role, UserRole
from models.accounts import User
from models.merchants import Merchant, MerchantStaff, StoreStaff
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work

PERMISSIONS: dict[str, str] = {
    # platform administration
    "user.read": "See any user's account, roles and referral binding.",
    "user.manage": "Grant and revoke roles, disable accounts.",
    "referral.rebind": "Change a user's upline (audited).",
    "ledger.read": "See ledger accounts, journal and invariant reports.",
    "notification.send": "Send a message to a user's inbox.",
    "merchant.manage": "Review merchant applications, suspend merchants, act on any merchant's data.",
    "catalog.manage": "Manage the category tree and home content (banners, recommendations).",
    "order.manage": "See any order and handle any order's after-sales (customer support).",
    "consignment.manage": "Set consignment fees and rewards, run snap-up sessions, see consignment statistics.",
    # merchant back-office (granted per merchant)
    "merchant.products": "Manage the merchant's products and stock.",
    "merchant.orders": "Handle the merchant's orders and after-sales.",
    "merchant.finance": "See the merchant's statements and withdraw settled funds.",
    "merchant.settings": "Change the merchant's settings, shipping template and stores.",
    "merchant.staff": "Manage the merchant's staff and their permissions (the owner).",
    "merchant.marketing": "Run the merchant's own coupons and promotions, funded by the merchant.",
    # offline store (granted per store)
    "store.pickup": "Verify pickup codes at the store.",
    "store.cashier": "Take payments at the store: its payment QR code, receipts and the live feed of payments.",
    "store.refund": "Refund payments taken at the store (within the refund window, never above what was paid).",
    "store.redeem": "Redeem uses of punch cards at the store (scanning the customer's one-time code).",
    "store.bookings": "See the store's bookings of service items, check customers in, mark no-shows.",
    "store.delivery": "Dispatch the store's deliveries and move their statuses (the store's own riders).",
    # distribution
    "distribution.center": "Use the distributor centre.",
    "distribution.manage": "Set distribution levels, rates and the freeze period; reject commissions (risk review).",
    # withdrawals (FIN-3)
    "withdrawal.manage": "Review withdrawals (approve, reject), record manual payouts, see every withdrawal.",
    # risk control
    "risk.manage": "Manage risk rules; review risk cases (release or reject what they hold).",
    # grades and membership (DIS-6, MEM-1, MEM-4)
    "grades.manage": "Edit the grade ladder and its upgrade rules; set a user's grade (audited).",
    "membership.manage": "Set the membership price and duration and the recruitment-fee rewards (RISK-1; audited).",
    # settlement and finance reports (FIN-4, FIN-5)
    "settlement.manage": "See every merchant's statements and approve them (books the merchant's settlement).",
    "report.read": "See finance reports (platform revenue, commission ledger, totals) and export them and the journal as CSV.",
    # regional agents and franchise stores
    "agent.manage": "Appoint and end regional agents; set agent rates, the store share and the pickup reward.",
    "franchise.manage": "Name the franchisee of any store.",
    # marketing (MKT-1, MKT-2)
    "marketing.manage": "Run the platform's coupons and promotions (funded by the platform); issue coupons to users.",
}

PLATFORM_ADMIN_PERMISSIONS = [
    "user.read",
    "user.manage",
    "referral.rebind",
    "ledger.read",
    "notification.send",
    "merchant.manage",
    "catalog.manage",
    "order.manage",
    "consignment.manage",
    "distribution.manage",
    "withdrawal.manage",
    "risk.manage",
    "grades.manage",
    "membership.manage",
    "settlement.manage",
    "report.read",
    "agent.manage",
    "franchise.manage",
    "marketing.manage",
]
MERCHANT_PERMISSIONS = [
    "merchant.products",
    "merchant.orders",
    "merchant.finance",
    "merchant.settings",
    "merchant.marketing",
]
OWNER_PERMISSIONS = [*MERCHANT_PERMISSIONS, "merchant.staff"]
# Every store staff member holds these at their store; the owner may grant the others one by one.
STORE_STAFF_PERMISSIONS = ["store.pickup", "store.cashier"]
STORE_PERMISSIONS = [*STORE_STAFF_PERMISSIONS, "store.refund", "store.redeem", "store.bookings", "store.delivery"]


@dataclass(frozen=True)
class RoleSpec:
    name: str
    scope: str
    permissions: list[str]
    description: str = ""


ROLES: dict[str, RoleSpec] = {
    "customer": RoleSpec("Customer", "PLATFORM", [], "Every signed-in user."),
    "distributor": RoleSpec("Distributor", "PLATFORM", ["distribution.center"], "Earns commissions on referrals."),
    # Merchant and store roles are not granted here: they follow from owning a merchant
    # (Merchant.owner) and from MerchantStaff / StoreStaff rows, managed by the owner.
    "merchant_owner": RoleSpec(
        "Merchant owner", "MERCHANT", OWNER_PERMISSIONS, "Owner of a merchant; manages its staff."
    ),
    "merchant_staff": RoleSpec(
        "Merchant staff", "MERCHANT", [], "Staff of a merchant; permissions granted one by one by the owner."
    ),
    "store_staff": RoleSpec(
        "Store staff",
        "STORE",
        STORE_STAFF_PERMISSIONS,
        "Works at an offline store: verifies pickups, takes payments; store.refund granted by the owner.",
    ),
    "admin": RoleSpec("Platform administrator", "PLATFORM", PLATFORM_ADMIN_PERMISSIONS, "All platform permissions."),
    "support": RoleSpec(
        "Customer support",
        "PLATFORM",
        ["user.read", "notification.send", "order.manage"],
        "Reads accounts and orders, messages users, handles after-sales.",
    ),
    "finance": RoleSpec(
        "Finance",
        "PLATFORM",
        ["ledger.read", "user.read", "withdrawal.manage", "settlement.manage", "report.read"],
        "Reconciles money, reviews withdrawals, approves merchant statements, reads finance reports.",
    ),
}


async def sync_catalog() -> None:
    """Insert or update the built-in permissions and roles (idempotent)."""
    async with unit_of_work():
        perms = {}
        for code, description in PERMISSIONS.items():
            perm, _ = await Permission.update_or_create(code=code, defaults={"description": description})
            perms[code] = perm
        for code, spec in ROLES.items():
            role, _ = await Role.get_or_create(
                code=code, defaults={"name": spec.name, "scope": spec.scope, "description": spec.description}
            )
            # Built-in roles gain permissions added to the catalogue; extra grants an admin
            # gave a role are left alone.
            have = set(await role.permissions.all().values_list("code", flat=True))
            missing = [perms[p] for p in spec.permissions if p not in have]
            if missing:
                await role.permissions.add(*missing)


@dataclass
class Grants:
    """What a user may do: platform permissions, and per-scope ones for merchants and stores."""

    roles: set[str] = field(default_factory=set)
    platform: set[str] = field(default_factory=set)
    scoped: dict[tuple[str, int], set[str]] = field(default_factory=dict)

    def has(self, permission: str, scope: tuple[str, int] | None = None) -> bool:
        if scope is None:
            return permission in self.platform
        return permission in self.scoped.get(scope, set())

    def merchant_ids(self, permission: str) -> list[int]:
        """Merchants on which this user holds `permission`."""
        return sorted(sid for (kind, sid), perms in self.scoped.items() if kind == "MERCHANT" and permission in perms)


def require_merchant(grants: Grants, merchant_id: int, permission: str) -> None:
    """Refuse unless the user holds `permission` for this merchant, or is a platform
    administrator with merchant.manage (who may act on any merchant's data)."""
    if grants.has(permission, ("MERCHANT", merchant_id)) or grants.has("merchant.manage"):
        return
    raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {permission} permission for this merchant.")


def require_order_staff(grants: Grants, merchant_id: int) -> None:
    """Handle a merchant's orders: its staff with merchant.orders, or platform support."""
    if grants.has("order.manage"):
        return
    require_merchant(grants, merchant_id, "merchant.orders")


def require_store(grants: Grants, store_id: int, merchant_id: int) -> None:
    """Store staff of this store, the merchant's owner/order staff, or a platform admin."""
    require_store_permission(grants, store_id, merchant_id, "store.pickup")


def require_store_permission(grants: Grants, store_id: int, merchant_id: int, permission: str) -> None:
    """`permission` (store.*) at this store, or the merchant's owner/order staff, or a platform admin."""
    if grants.has(permission, ("STORE", store_id)):
        return
    try:
        require_merchant(grants, merchant_id, "merchant.orders")
    except DomainError:
        raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {permission} permission at this store.") from None


async def load_grants(user_id: int) -> Grants:

    grants = Grants()
    rows = (
        await UserRole.filter(user_id=user_id, scope_id=0).select_related("role").prefetch_related("role__permissions")
    )
    for grant in rows:
        grants.roles.add(grant.role.code)
        grants.platform |= {p.code for p in grant.role.permissions}
    for merchant_id in await Merchant.filter(owner_id=user_id).values_list("id", flat=True):
        grants.roles.add("merchant_owner")
        grants.scoped[("MERCHANT", merchant_id)] = set(OWNER_PERMISSIONS)
    for merchant_id, perms in await MerchantStaff.filter(user_id=user_id).values_list("merchant_id", "permissions"):
        grants.roles.add("merchant_staff")
        grants.scoped.setdefault(("MERCHANT", merchant_id), set()).update(p for p in perms if p in MERCHANT_PERMISSIONS)
    for store_id, extra in await StoreStaff.filter(user_id=user_id).values_list("store_id", "permissions"):
        grants.roles.add("store_staff")
        grants.scoped[("STORE", store_id)] = {
            *STORE_STAFF_PERMISSIONS,
            *(p for p in extra or [] if p in STORE_PERMISSIONS),
        }
    return grants


async def _role(code: str) -> Role:
    role = await Role.get_or_none(code=code)
    if role is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No role {code!r}.", "role")
    return role


async def grant_role(user_id: int, role_code: str, scope_id: int = 0, *, actor_id: int | None = None) -> UserRole:
    role = await _role(role_code)
    if role.scope != "PLATFORM":
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Merchant and store roles are managed by the merchant owner.", "role"
        )
    if scope_id != 0:
        raise DomainError(ErrorCode.INVALID_INPUT, "Platform roles take no scope.", "scopeId")
    if not await User.exists(id=user_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
    grant, _ = await UserRole.get_or_create(
        user_id=user_id, role_id=role.id, scope_id=scope_id, defaults={"granted_by_id": actor_id}
    )
    return grant


async def revoke_role(user_id: int, role_code: str, scope_id: int = 0) -> int:
    role = await _role(role_code)
    return await UserRole.filter(user_id=user_id, role_id=role.id, scope_id=scope_id).delete()
