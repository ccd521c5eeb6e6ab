"""Demo data for the development server: believable, idempotent, safe to re-run."""

from __future__ import annotations

from models.accounts import User
from services import access, auth, referral
from services.demo_catalog import seed_catalog

DEMO_ADMIN_PHONE = "+8613800000000"
DEMO_DISTRIBUTOR_PHONE = "+8613800000001"
DEMO_CUSTOMER_PHONE = "+8613800000002"
DEMO_TEA_OWNER_PHONE = "+8613800000003"
DEMO_FASHION_OWNER_PHONE = "+8613800000004"


async def _user(phone: str, nickname: str) -> User:
    user = await User.get_or_none(phone=phone)
    return user or await referral.create_user(phone=phone, nickname=nickname)


async def seed() -> list[str]:
    await access.sync_catalog()
    admin = await _user(DEMO_ADMIN_PHONE, "平台管理员")
    await access.grant_role(admin.id, "admin")
    distributor = await _user(DEMO_DISTRIBUTOR_PHONE, "小美 (distributor)")
    await access.grant_role(distributor.id, "distributor")
    customer = await _user(DEMO_CUSTOMER_PHONE, "阿强 (customer)")
    if customer.upline_id is None:
        await referral.bind_upline(customer, distributor.invite_code, source="SIGNUP")
    tea_owner = await _user(DEMO_TEA_OWNER_PHONE, "李老板 (tea merchant)")
    fashion_owner = await _user(DEMO_FASHION_OWNER_PHONE, "陈老板 (fashion merchant)")
    catalog_lines = await seed_catalog(admin, tea_owner, fashion_owner)
    lines = ["Demo users (sign in with requestSmsCode + signInWithSms; the code prints in this console):"]
    for label, user in (("admin", admin), ("distributor", distributor), ("customer", customer), ("merchant", tea_owner)):
        signed = await auth.start_session(user, "SMS", auth.ClientInfo(user_agent="demo-seed"), False)
        lines.append(f"  {label:12} {user.phone}  invite code {user.invite_code}")
        lines.append(f"  {'':12} ready-made header: {{\"Authorization\": \"Bearer {signed.access_token}\"}}")
    return lines + catalog_lines
