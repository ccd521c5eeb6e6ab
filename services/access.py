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
from services.errors import DomainError, ErrorCode
from services.events import unit_of_work

PERMISSIONS: dict[str, str] = {
    # platform administration
    "user.read": "See any user's account, roles and referral binding.",
    "user.manage": "Grant and revoke roles, disable accounts.",
    "referral.rebind": "Change a user's upline (audited).",
    "ledger.read": "See ledger accounts, journal and invariant reports.",
    "notification.send": "Send a message to a user's inbox.",
    # merchant back-office (granted per merchant)
    "merchant.products": "Manage the merchant's products and stock.",
    "merchant.orders": "Handle the merchant's orders and after-sales.",
    "merchant.finance": "See the merchant's statements and withdraw settled funds.",
    "merchant.settings": "Change the merchant's settings and staff.",
    # offline store (granted per store)
    "store.pickup": "Verify pickup codes at the store.",
    # distribution
    "distribution.center": "Use the distributor centre.",
}

PLATFORM_ADMIN_PERMISSIONS = ["user.read", "user.manage", "referral.rebind", "ledger.read", "notification.send"]


@dataclass(frozen=True)
class RoleSpec:
    name: str
    scope: str
    permissions: list[str]
    description: str = ""


ROLES: dict[str, RoleSpec] = {
    "customer": RoleSpec("Customer", "PLATFORM", [], "Every signed-in user."),
    "distributor": RoleSpec("Distributor", "PLATFORM", ["distribution.center"], "Earns commissions on referrals."),
    "merchant_owner": RoleSpec(
        "Merchant owner", "MERCHANT",
        ["merchant.products", "merchant.orders", "merchant.finance", "merchant.settings"],
        "Owner of a merchant; manages its staff.",
    ),
    "merchant_staff": RoleSpec("Merchant staff", "MERCHANT", [], "Staff of a merchant; permissions granted one by one."),
    "store_staff": RoleSpec("Store staff", "STORE", ["store.pickup"], "Works at an offline store."),
    "admin": RoleSpec("Platform administrator", "PLATFORM", PLATFORM_ADMIN_PERMISSIONS, "All platform permissions."),
    "support": RoleSpec("Customer support", "PLATFORM", ["user.read", "notification.send"], "Reads accounts, messages users."),
    "finance": RoleSpec("Finance", "PLATFORM", ["ledger.read", "user.read"], "Reconciles money."),
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


async def load_grants(user_id: int) -> Grants:
    grants = Grants()
    rows = await UserRole.filter(user_id=user_id).select_related("role").prefetch_related("role__permissions")
    for grant in rows:
        grants.roles.add(grant.role.code)
        codes = {p.code for p in grant.role.permissions}
        if grant.role.scope == "PLATFORM":
            grants.platform |= codes
        else:
            grants.scoped.setdefault((grant.role.scope, grant.scope_id), set()).update(codes)
    return grants


async def _role(code: str) -> Role:
    role = await Role.get_or_none(code=code)
    if role is None:
        raise DomainError(ErrorCode.ROLE_NOT_FOUND, f"No role {code!r}.", "role")
    return role


async def grant_role(user_id: int, role_code: str, scope_id: int = 0, *, actor_id: int | None = None) -> UserRole:
    role = await _role(role_code)
    if (role.scope == "PLATFORM") != (scope_id == 0):
        raise DomainError(ErrorCode.INVALID_INPUT, "This role needs a merchant or store scope." if scope_id == 0 else "This role is platform-wide; give no scope.", "scopeId")
    if not await User.exists(id=user_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
    grant, _ = await UserRole.get_or_create(
        user_id=user_id, role_id=role.id, scope_id=scope_id, defaults={"granted_by_id": actor_id}
    )
    return grant


async def revoke_role(user_id: int, role_code: str, scope_id: int = 0) -> int:
    role = await _role(role_code)
    return await UserRole.filter(user_id=user_id, role_id=role.id, scope_id=scope_id).delete()
