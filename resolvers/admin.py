"""Platform administration: users, roles, referral rebinding, ledger reconciliation."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from models.access import Role as RoleModel
from models.accounts import User as UserModel
from models.ledger import LedgerAccount as LedgerAccountModel
from resolvers.common import USER_IDS, api_errors, parse_id, parse_typed_id, payload_errors, requires, viewer
from schema.pagination import Connection, to_connection
from schema.types.access import Role, RoleGrantPayload
from schema.types.accounts import User, UserPayload
from schema.types.ledger import LedgerAccount, LedgerInvariantViolation
from services.accounts import access, referral
from services.core.errors import DomainError, ErrorCode
from services.core.pagination import paginate
from services.core.phones import normalize_phone
from services.core.sensitive import blind_index
from services.ledger import ledger


@strawberry.type
class AdminQueries:
    @strawberry.field(
        description="All users, newest first; `search` matches a phone number, invite code or nickname.",
        extensions=requires("user.read"),
    )
    @api_errors
    async def users(
        self,
        search: Annotated[str | None, strawberry.argument(description="Part of a nickname, or a phone number.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor from the previous page (`pageInfo.endCursor`).")
        ] = None,
    ) -> Connection[User]:
        qs = UserModel.all()
        if search:
            term = search.strip()
            try:
                qs = qs.filter(phone_hash=blind_index(normalize_phone(term)))
            except DomainError:  # not a phone number: try the other keys
                qs = (
                    qs.filter(invite_code=term.upper())
                    if len(term) == 8 and term.isalnum()
                    else qs.filter(nickname__icontains=term)
                )
        page = await paginate(qs, first, after)
        return to_connection(page)

    @strawberry.field(description="One user by id.", extensions=requires("user.read"))
    @api_errors
    async def user(self, id: Annotated[strawberry.ID, strawberry.argument(description="The user.")]) -> User | None:
        return await UserModel.get_or_none(id=parse_id(id, of=USER_IDS))

    @strawberry.field(description="The role catalogue.", extensions=requires("user.read"))
    async def roles(self) -> list[Role]:
        return [Role.from_model(r) for r in await RoleModel.all().order_by("id").prefetch_related("permissions")]

    @strawberry.field(
        description="Ledger accounts, newest first, optionally of one owner type or owner.",
        extensions=requires("ledger.read"),
    )
    @api_errors
    async def ledger_accounts(
        self,
        owner_type: Annotated[
            str | None, strawberry.argument(description="Only accounts of this owner type (USER, MERCHANT, PLATFORM).")
        ] = None,
        owner_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only accounts of this owner.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor from the previous page (`pageInfo.endCursor`).")
        ] = None,
    ) -> Connection[LedgerAccount]:
        qs = LedgerAccountModel.all()
        if owner_type:
            qs = qs.filter(owner_type=owner_type)
        if owner_id is not None:
            owner, pk = parse_typed_id(owner_id, "ownerId", of=("User", "Merchant"))
            qs = qs.filter(owner_type="USER" if owner in USER_IDS else "MERCHANT", owner_id=pk)
        page = await paginate(qs, first, after)
        return to_connection(page, LedgerAccount.from_model)

    @strawberry.field(
        description="Ledger invariants recomputed from the journal; empty while the books are sound.",
        extensions=requires("ledger.read"),
    )
    async def ledger_invariant_violations(self) -> list[LedgerInvariantViolation]:
        return [LedgerInvariantViolation.from_service(v) for v in await ledger.check_invariants()]


@strawberry.type
class AdminMutations:
    @strawberry.mutation(
        description="Grant a role (scopeId: the merchant or store for scoped roles, else omit).",
        extensions=requires("user.manage"),
    )
    @payload_errors
    async def grant_role(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user to grant the role to.")],
        role: Annotated[str, strawberry.argument(description="The role's code.")],
        scope_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The merchant the role is scoped to, for a merchant role."),
        ] = None,
    ) -> RoleGrantPayload:
        scope = (
            parse_id(scope_id, "scopeId", of=("Merchant", "ManagedMerchant", "Store")) if scope_id is not None else 0
        )
        await access.grant_role(parse_id(user_id, "userId", of=USER_IDS), role, scope, actor_id=viewer(info).id)
        return RoleGrantPayload(ok=True)

    @strawberry.mutation(description="Revoke a role.", extensions=requires("user.manage"))
    @payload_errors
    async def revoke_role(
        self,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user to revoke the role from.")],
        role: Annotated[str, strawberry.argument(description="The role's code.")],
        scope_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The merchant the role was scoped to, for a merchant role."),
        ] = None,
    ) -> RoleGrantPayload:
        scope = (
            parse_id(scope_id, "scopeId", of=("Merchant", "ManagedMerchant", "Store")) if scope_id is not None else 0
        )
        return RoleGrantPayload(ok=await access.revoke_role(parse_id(user_id, "userId", of=USER_IDS), role, scope) > 0)

    @strawberry.mutation(
        description="Move a user under another upline (audited; cycles refused).",
        extensions=requires("referral.rebind"),
    )
    @payload_errors
    async def rebind_upline(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user to move.")],
        invite_code: Annotated[str, strawberry.argument(description="The new upline's invite code.")],
        reason: Annotated[str, strawberry.argument(description="Why (kept in the audit log).")],
    ) -> UserPayload:
        target = await UserModel.get_or_none(id=parse_id(user_id, "userId", of=USER_IDS))
        if target is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
        user = await referral.bind_upline(target, invite_code, source="ADMIN", actor_id=viewer(info).id, reason=reason)
        return UserPayload(user=user)

    @strawberry.mutation(description="Remove a user's upline (audited).", extensions=requires("referral.rebind"))
    @payload_errors
    async def unbind_upline(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user to detach from their upline.")],
        reason: Annotated[str, strawberry.argument(description="Why (kept in the audit log).")],
    ) -> UserPayload:
        user = await referral.unbind_upline(
            parse_id(user_id, "userId", of=USER_IDS), actor_id=viewer(info).id, reason=reason
        )
        return UserPayload(user=user)
