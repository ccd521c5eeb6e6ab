"""Demo data for the development server: believable, idempotent, safe to re-run."""

from __future__ import annotations

from models.accounts import Address, User
from services.accounts import access, auth, referral
from services.core import sensitive
from services.demo.catalog import seed_catalog
from services.ledger import ledger
from services.risk import control as risk

DEMO_ADMIN_PHONE = "+8613800000000"
DEMO_DISTRIBUTOR_PHONE = "+8613800000001"
DEMO_CUSTOMER_PHONE = "+8613800000002"
DEMO_TEA_OWNER_PHONE = "+8613800000003"
DEMO_FASHION_OWNER_PHONE = "+8613800000004"


async def _user(phone: str, nickname: str) -> User:
    user = await User.get_or_none(phone_hash=sensitive.blind_index(phone))
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
    await _ready_to_shop(customer)
    await risk.install_default_rules(None, admin.id)  # RISK-2: one rule of each kind (idempotent)
    lines = ["Demo users (sign in with requestSmsCode + signInWithSms; the code prints in this console):"]
    for label, user in (
        ("admin", admin),
        ("distributor", distributor),
        ("customer", customer),
        ("merchant", tea_owner),
    ):
        signed = await auth.start_session(user, "SMS", auth.ClientInfo(user_agent="demo-seed"), False)
        lines.append(f"  {label:12} {user.phone}  invite code {user.invite_code}")
        lines.append(f'  {"":12} ready-made header: {{"Authorization": "Bearer {signed.access_token}"}}')
    return lines + catalog_lines


DEMO_WALLET_FEN = 100_000  # 1,000.00 yuan of 零钱 for trying payWithWallet


async def _ready_to_shop(customer: User) -> None:
    """A delivery address and some wallet money, so checkout works straight away."""
    if not await Address.exists(user_id=customer.id):
        await Address.create(
            user_id=customer.id,
            recipient="阿强",
            phone=DEMO_CUSTOMER_PHONE,
            province_code="330000",
            city_code="330100",
            county_code="330106",
            region_name="浙江省 杭州市 西湖区",
            detail="文三路 90 号",
            is_default=True,
        )
    budget = await ledger.platform_account(ledger.Purpose.PROMOTION_EXPENSE)
    wallet = await ledger.user_account(customer.id, ledger.Purpose.WALLET)
    await ledger.post(  # the idempotency key makes re-seeding a no-op
        "DEMO_CREDIT",
        [ledger.Posting(budget.id, -DEMO_WALLET_FEN), ledger.Posting(wallet.id, DEMO_WALLET_FEN)],
        idempotency_key=f"demo-wallet:{customer.id}",
        memo="demo wallet money",
    )
