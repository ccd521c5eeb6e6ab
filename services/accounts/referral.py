"""Invite codes and upline binding (ACC-4): no self-binding, no cycles, bound once."""

from __future__ import annotations

import re
import secrets

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import settings
from models.accounts import UplineChange, User
from models.distributors import InviteSignup
from models.marketing import Material
from services.accounts import notifications
from services.core import clock, sensitive
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.hooks import Reactions

# No 0/O, 1/I/L: codes are read aloud and typed from posters.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MODES = ("SIGNUP", "FIRST_ORDER", "ADMIN_ONLY")

# Reactions to a new binding, run inside its transaction with the bound user's id. Grades
# (DIS-6) react here (wiring.py): the uplines' team sizes grew.
BOUND: Reactions[int] = Reactions("referral bound")


# An invite code as shared may carry the material it was shared with (MKT-5): "ABCD2345-M12".
REFERENCE = re.compile(r"([A-Z0-9]{4,12})-M([1-9][0-9]{0,17})")


def split_reference(reference: str | None) -> tuple[str, int | None]:
    """(the invite code, the material id or None) of an invite code as shared; a plain code
    (or anything else) comes back upper-cased with no material."""
    text = (reference or "").strip().upper()
    found = REFERENCE.fullmatch(text)
    return (found.group(1), int(found.group(2))) if found else (text, None)


def reference(code: str, material_id: int | None = None) -> str:
    """The invite code to share: with a material, the code carrying it."""
    return f"{code}-M{material_id}" if material_id else code


async def shared_material(reference: str | None) -> int | None:
    """The material an invite code as shared carries, if it exists (a forged or deleted one
    counts as a plain share of the code)."""
    material_id = split_reference(reference)[1]
    if material_id is None or not await Material.exists(id=material_id):
        return None
    return material_id


def new_invite_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _unique_keys(fields: dict) -> dict:
    """The unique keys among create_user's fields (a phone is looked up by its blind index)."""
    lookup = {"wechat_openid": fields["wechat_openid"]} if fields.get("wechat_openid") else {}
    if fields.get("phone"):
        lookup["phone_hash"] = sensitive.blind_index(fields["phone"])
    return lookup


async def create_user(**fields) -> User:
    """Create a user with a fresh unique invite code (retrying on the rare collision)."""
    for _ in range(5):
        try:
            async with in_transaction():
                return await User.create(invite_code=new_invite_code(), **fields)
        except IntegrityError:
            if not await User.exists(**_unique_keys(fields)):
                continue
            raise
    raise RuntimeError("could not allocate an invite code")


async def find_by_invite_code(code: str) -> User:
    """The active owner of an invite code (as shared: a material it carries is ignored here)."""
    user = await User.get_or_none(invite_code=split_reference(code)[0], is_active=True)
    if user is None:
        raise DomainError(ErrorCode.INVITE_CODE_INVALID, "This invite code does not exist.", "inviteCode")
    return user


async def _lock_binding(conn) -> None:
    """Serialise bindings on PostgreSQL so two concurrent bindings cannot close a cycle."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock(4242001)")


async def _would_cycle(user_id: int, upline_id: int) -> bool:
    """True if `user_id` is `upline_id` or one of its ancestors."""
    seen: set[int] = set()
    current: int | None = upline_id
    while current is not None and current not in seen:
        if current == user_id:
            return True
        seen.add(current)
        rows = await User.filter(id=current).values_list("upline_id", flat=True)
        current = rows[0] if rows else None
    return False


async def bind_upline(
    user: User, invite_code: str, *, source: str, actor_id: int | None = None, reason: str = ""
) -> User:
    """Bind `user` under the owner of `invite_code`.

    source SIGNUP / LINK: the user's own binding, once only. ADMIN: rebinding, audited.
    A code carrying a material (`split_reference`) records it on the sign-up (MKT-5).
    """
    if source != "ADMIN" and settings.REFERRAL_BINDING_MODE == "ADMIN_ONLY":
        raise DomainError(ErrorCode.BINDING_NOT_ALLOWED, "Only an administrator can bind uplines.")
    upline = await find_by_invite_code(invite_code)
    material_id = await shared_material(invite_code) if source != "ADMIN" else None
    if upline.id == user.id:
        raise DomainError(ErrorCode.SELF_BINDING, "You cannot use your own invite code.", "inviteCode")
    async with unit_of_work() as conn:
        await _lock_binding(conn)
        current = await User.get(id=user.id)
        if source != "ADMIN" and current.upline_id is not None:
            raise DomainError(ErrorCode.ALREADY_BOUND, "Your referrer is already set.", "inviteCode")
        if await _would_cycle(user.id, upline.id):
            raise DomainError(
                ErrorCode.BINDING_CYCLE, "This invite code belongs to someone in your own team.", "inviteCode"
            )
        query = User.filter(id=user.id)
        if source != "ADMIN":
            query = query.filter(upline_id=None)  # bound once, even when racing
        updated = await query.update(upline_id=upline.id, upline_bound_at=clock.now())
        if not updated:
            raise DomainError(ErrorCode.ALREADY_BOUND, "Your referrer is already set.", "inviteCode")
        await UplineChange.create(
            user_id=user.id,
            old_upline_id=current.upline_id,
            new_upline_id=upline.id,
            actor_id=actor_id,
            source=source,
            reason=reason[:256],
        )
        if source != "ADMIN":  # DIS-5 promotion statistics: who signed up through whose code
            await InviteSignup.filter(
                user_id=user.id
            ).delete()  # bound again after an admin unbinding: the latest counts
            await InviteSignup.create(
                user_id=user.id, upline_id=upline.id, source=source, material_id=material_id, created_at=clock.now()
            )
        await BOUND.run(user.id, conn)
        await notifications.notify(
            upline.id,
            kind="NEW_TEAM_MEMBER",
            title="New team member",
            body=f"{current.nickname or 'A new user'} joined your team.",
            data={"userId": str(user.id)},
        )
    user.upline_id = upline.id
    return await User.get(id=user.id)


async def unbind_upline(user_id: int, *, actor_id: int, reason: str) -> User:
    """Admin only: remove a binding, audited."""
    async with unit_of_work() as conn:
        await _lock_binding(conn)
        current = await User.get_or_none(id=user_id)
        if current is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
        await User.filter(id=user_id).update(upline_id=None, upline_bound_at=None)
        await UplineChange.create(
            user_id=user_id,
            old_upline_id=current.upline_id,
            new_upline_id=None,
            actor_id=actor_id,
            source="ADMIN",
            reason=reason[:256],
        )
    return await User.get(id=user_id)
