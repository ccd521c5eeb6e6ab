"""Invite codes and upline binding (ACC-4)."""

import asyncio

import settings
from models.accounts import UplineChange, User
from models.notifications import Notification
from services.core.sensitive import blind_index
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, next_phone, outbox, pk_of, token_for

BIND = "mutation($c: String!) { bindUpline(inviteCode: $c) { user { upline { id } } errors { code field } } }"
SIGN_IN = """mutation($p: String!, $c: String!, $i: String) {
  signInWithSms(phone: $p, code: $c, inviteCode: $i) { user { id upline { id nickname } } errors { code } }
}"""


async def sms_sign_in(api, phone, invite):
    await api("mutation($p: String!) { requestSmsCode(phone: $p) { errors { code } } }", {"p": phone})
    return (await api(SIGN_IN, {"p": phone, "c": outbox().last_code(phone), "i": invite}))["signInWithSms"]


async def test_every_user_gets_a_unique_invite_code():
    users = [await make_user() for _ in range(20)]
    codes = {u.invite_code for u in users}
    assert len(codes) == 20 and all(len(c) == 8 for c in codes)


async def test_sign_up_with_invite_code_binds_and_notifies_the_upline(api):
    upline = await make_user("Mei")
    result = await sms_sign_in(api, next_phone(), upline.invite_code.lower())
    assert result["errors"] == [] and result["user"]["upline"]["id"] == gid(upline)
    note = await Notification.get(user_id=upline.id)
    assert note.kind == "NEW_TEAM_MEMBER"
    audit = await UplineChange.get(user_id=pk_of(result["user"]["id"]))
    assert audit.source == "SIGNUP" and audit.new_upline_id == upline.id


async def test_sign_up_with_unknown_invite_code_creates_nothing_and_keeps_the_code(api):
    phone = next_phone()
    result = await sms_sign_in(api, phone, "NOSUCH99")
    assert result["errors"] == [{"code": "INVITE_CODE_INVALID"}]
    assert not await User.exists(phone_hash=blind_index(phone))
    # the SMS code was not burnt: signing up without the bad link still works
    retry = (await api(SIGN_IN, {"p": phone, "c": outbox().last_code(phone), "i": None}))["signInWithSms"]
    assert retry["errors"] == []


async def test_existing_user_signing_in_through_a_link_is_not_rebound(api):
    phone = next_phone()
    user = await make_user(phone=phone)
    other = await make_user()
    result = await sms_sign_in(api, phone, other.invite_code)
    assert result["errors"] == [] and result["user"]["upline"] is None
    assert (await User.get(id=user.id)).upline_id is None


async def test_self_binding_is_refused(api):
    user = await make_user()
    result = (await api(BIND, {"c": user.invite_code}, token=await token_for(user)))["bindUpline"]
    assert result["errors"] == [{"code": "SELF_BINDING", "field": ["inviteCode"]}]
    assert (await User.get(id=user.id)).upline_id is None


async def test_cycle_is_refused(api):
    a = await make_user("a")
    b = await make_user("b", upline=a)
    c = await make_user("c", upline=b)
    result = (await api(BIND, {"c": c.invite_code}, token=await token_for(a)))["bindUpline"]
    assert result["errors"] == [{"code": "BINDING_CYCLE", "field": ["inviteCode"]}]
    assert (await User.get(id=a.id)).upline_id is None
    assert await UplineChange.filter(user_id=a.id).count() == 0


async def test_bound_once(api):
    a, b = await make_user(), await make_user()
    c = await make_user(upline=a)
    result = (await api(BIND, {"c": b.invite_code}, token=await token_for(c)))["bindUpline"]
    assert result["errors"] == [{"code": "ALREADY_BOUND", "field": ["inviteCode"]}]
    assert (await User.get(id=c.id)).upline_id == a.id


async def test_bind_later_through_a_link(api):
    a, b = await make_user(), await make_user()
    result = (await api(BIND, {"c": a.invite_code}, token=await token_for(b)))["bindUpline"]
    assert result["errors"] == [] and result["user"]["upline"]["id"] == gid(a)


async def test_admin_only_mode_refuses_self_binding(api, monkeypatch):
    monkeypatch.setattr(settings, "REFERRAL_BINDING_MODE", "ADMIN_ONLY")
    a, b = await make_user(), await make_user()
    result = (await api(BIND, {"c": a.invite_code}, token=await token_for(b)))["bindUpline"]
    assert result["errors"][0]["code"] == "BINDING_NOT_ALLOWED"


REBIND = "mutation($u: ID!, $c: String!, $r: String!) { rebindUpline(userId: $u, inviteCode: $c, reason: $r) { user { upline { id } } errors { code } } }"


async def test_admin_rebinding_is_audited_and_still_refuses_cycles(api):
    admin = await make_user(roles=("admin",))
    a, b = await make_user(), await make_user()
    c = await make_user(upline=a)
    token = await token_for(admin)
    moved = (await api(REBIND, {"u": gid(c), "c": b.invite_code, "r": "wrong link"}, token=token))["rebindUpline"]
    assert moved["errors"] == [] and moved["user"]["upline"]["id"] == gid(b)
    audit = await UplineChange.filter(user_id=c.id, source="ADMIN").first()
    assert (audit.old_upline_id, audit.new_upline_id, audit.actor_id, audit.reason) == (
        a.id,
        b.id,
        admin.id,
        "wrong link",
    )
    cycle = (await api(REBIND, {"u": gid(b), "c": c.invite_code, "r": "x"}, token=token))["rebindUpline"]
    assert cycle["errors"] == [{"code": "BINDING_CYCLE"}]
    assert (await User.get(id=b.id)).upline_id is None


@requires_postgres
async def test_racing_bindings_bind_once():
    from services.accounts import referral
    from services.core.errors import DomainError

    uplines = [await make_user() for _ in range(8)]
    user = await make_user()

    async def bind(code):
        try:
            await referral.bind_upline(user, code, source="LINK")
            return True
        except DomainError:
            return False

    results = await asyncio.gather(*[bind(u.invite_code) for u in uplines])
    assert sum(results) == 1
    assert await UplineChange.filter(user_id=user.id).count() == 1


@requires_postgres
async def test_racing_reciprocal_bindings_never_make_a_cycle():
    from services.accounts import referral
    from services.core.errors import DomainError

    a, b = await make_user(), await make_user()

    async def bind(user, upline):
        try:
            await referral.bind_upline(user, upline.invite_code, source="LINK")
        except DomainError:
            pass

    await asyncio.gather(bind(a, b), bind(b, a))
    a, b = await User.get(id=a.id), await User.get(id=b.id)
    assert not (a.upline_id == b.id and b.upline_id == a.id)
    assert (a.upline_id, b.upline_id).count(None) == 1
