"""RISK-3: phones and ID numbers encrypted at rest, looked up by blind index, masked per viewer."""

from datetime import timedelta

from tortoise import Tortoise

import settings
from models.accounts import Address, User, UserIdentity
from models.merchants import Store
from services.accounts import identity
from services.accounts.identity import id_check_character
from services.core import clock, sensitive
from services.finance import withdrawals
from services.finance.payouts import Destination
from tests.helpers import at, gid, make_user, outbox, pk_of, token_for
from tests.order_factories import fund_wallet, make_buyer, make_shop, place

REQUEST = "mutation($p: String!) { requestSmsCode(phone: $p) { phone errors { code field } } }"
SIGN_IN = "mutation($p: String!, $c: String!) { signInWithSms(phone: $p, code: $c) { isNewUser user { id phone } tokens { accessToken } errors { code field } } }"
BIND = (
    "mutation($p: String!, $c: String!) { bindPhone(phone: $p, code: $c) { user { id phone } errors { code field } } }"
)
SUBMIT = "mutation($n: String!, $i: String!) { submitIdentity(realName: $n, idNumber: $i) { identity { realName idNumber } errors { code field } } }"
MY_IDENTITY = "{ myIdentity { realName idNumber createdAt } }"
CREATE_ADDRESS = (
    "mutation($a: AddressInput!) { createAddress(input: $a) { address { id phone } errors { code field } } }"
)
APPLY = "mutation($a: MerchantApplicationInput!) { applyForMerchant(input: $a) { merchant { id contactPhone } errors { code field } } }"
ADMIN_USER = "query($id: ID!) { user(id: $id) { phone identity { realName idNumber } addresses { phone } } }"
ME = "{ me { phone identity { realName idNumber } addresses { phone } } }"
ORDER = "query($id: ID!) { order(id: $id) { address { recipient phone } } }"


def id_number(first17: str = "11010119900307123") -> str:
    return first17 + id_check_character(first17)


ID_A = id_number()  # 110101199003071234 style, valid check character
ID_B = id_number("44030419851120001")


async def _sign_in(api, phone: str) -> dict:
    sent = (await api(REQUEST, {"p": phone}))["requestSmsCode"]
    assert sent["errors"] == []
    return (await api(SIGN_IN, {"p": phone, "c": outbox().last_code(sent["phone"])}))["signInWithSms"]


async def _all_rows() -> list[tuple[str, str]]:
    """(table, row as text) for every row of every model's table, read with plain SQL."""
    conn = Tortoise.get_connection("default")
    rows = []
    for app in Tortoise.apps.values():
        for model in app.values():
            table = model._meta.db_table
            for row in await conn.execute_query_dict(f'SELECT * FROM "{table}"'):
                rows.append((table, " ".join(str(v) for v in row.values())))
    return rows


async def test_no_plain_phone_or_id_number_is_stored_anywhere(api):
    # given a user signed up by SMS, with an address, a merchant application, a store,
    # an express order and a verified identity
    signed = await _sign_in(api, "13712345678")
    token = signed["tokens"]["accessToken"]
    address = (
        await api(
            CREATE_ADDRESS,
            {
                "a": {
                    "recipient": "王小明",
                    "phone": "13698765432",
                    "provinceCode": "330000",
                    "cityCode": "330100",
                    "countyCode": "330106",
                    "regionName": "浙江省 杭州市 西湖区",
                    "detail": "文三路 1 号",
                }
            },
            token=token,
        )
    )["createAddress"]
    assert address["errors"] == [] and address["address"]["phone"] == "+8613698765432"
    applied = (
        await api(
            APPLY,
            {
                "a": {
                    "name": "密文茶铺",
                    "legalName": "杭州密文茶业有限公司",
                    "businessLicenseNo": "91330100MA2XXXXX9",
                    "contactName": "李四",
                    "contactPhone": "13587654321",
                }
            },
            token=token,
        )
    )["applyForMerchant"]
    assert applied["errors"] == [] and applied["merchant"]["contactPhone"] == "+8613587654321"
    merchant, _, skus = await make_shop()
    await Store.create(
        merchant_id=merchant.id,
        name="门店",
        phone="+8613412345678",
        province_code="330000",
        city_code="330100",
        county_code="330106",
        address="文三路 2 号",
        latitude=30.27,
        longitude=120.13,
        invite_code="STSECRET1",
    )
    user = await User.get(id=pk_of(signed["user"]["id"]))
    await place(user, await Address.get(id=pk_of(address["address"]["id"])), [(skus[0].id, 1)])
    submitted = (await api(SUBMIT, {"n": "欧阳娜娜", "i": ID_A}, token=token))["submitIdentity"]
    assert submitted["errors"] == []
    # and a withdrawal to a bank account in that name
    await fund_wallet(user, 10_000)
    await withdrawals.request_for_user(
        user.id, 5_000, Destination("BANK", "招商银行", "欧阳娜娜", "6222020200007654321"), "w-1"
    )

    # then no table holds a phone number, the ID number, the real name or the bank account in the clear
    secrets = ["13712345678", "13698765432", "13587654321", "13412345678", ID_A, "欧阳娜娜", "6222020200007654321"]
    rows = await _all_rows()
    assert len(rows) > 10
    for table, text in rows:
        for secret in secrets:
            assert secret not in text, (table, secret)
    # and the values read back through the models
    assert user.phone == "+8613712345678"
    assert (await UserIdentity.get(user_id=user.id)).id_number == ID_A
    assert (await Store.get(invite_code="STSECRET1")).phone == "+8613412345678"


async def test_sign_in_finds_the_user_by_blind_index(api):
    first = await _sign_in(api, "13712340000")
    # the per-phone cooldown recognises the number however it is spelt
    limited = (await api(REQUEST, {"p": "+86 137 1234 0000"}))["requestSmsCode"]
    assert limited["errors"] == [{"code": "RATE_LIMITED", "field": ["phone"]}]
    clock.advance(timedelta(seconds=settings.SMS_PHONE_COOLDOWN_SECONDS + 1))
    again = await _sign_in(api, "+86 137 1234 0000")
    assert first["isNewUser"] and not again["isNewUser"]
    assert again["user"]["id"] == first["user"]["id"] and again["user"]["phone"] == "+8613712340000"
    assert await User.filter(phone_hash=sensitive.blind_index("+8613712340000")).count() == 1


async def test_bind_phone_and_phone_taken(api):
    # given a WeChat-style user without a phone, and another user holding a number
    lonely = await User.create(nickname="微信用户", invite_code="WXONLY01", wechat_openid="o-123")
    token = await token_for(lonely)
    holder = await make_user(phone="+8613700000042")
    # when the lonely user binds a free number with its code
    sent = (await api(REQUEST, {"p": "13700000043"}))["requestSmsCode"]
    bound = (await api(BIND, {"p": "13700000043", "c": outbox().last_code(sent["phone"])}, token=token))["bindPhone"]
    assert bound["errors"] == [] and bound["user"]["phone"] == "+8613700000043"
    # then the number signs in to that account
    clock.advance(timedelta(seconds=settings.SMS_PHONE_COOLDOWN_SECONDS + 1))
    assert (await _sign_in(api, "13700000043"))["user"]["id"] == gid(lonely)
    # when it binds the holder's number: PHONE_TAKEN, nothing changed
    sent = (await api(REQUEST, {"p": "13700000042"}))["requestSmsCode"]
    taken = (await api(BIND, {"p": "13700000042", "c": outbox().last_code(sent["phone"])}, token=token))["bindPhone"]
    assert taken["errors"] == [{"code": "PHONE_TAKEN", "field": ["phone"]}]
    assert (await User.get(id=lonely.id)).phone == "+8613700000043"
    assert (await User.get(id=holder.id)).phone == "+8613700000042"
    # a wrong code binds nothing
    wrong = (await api(BIND, {"p": "13700000044", "c": "000000"}, token=token))["bindPhone"]
    assert wrong["errors"][0]["code"] in ("CODE_INVALID",)
    assert (await User.get(id=lonely.id)).phone == "+8613700000043"


async def test_identity_submit_and_masking(api):
    owner = await make_user("owner")
    token = await token_for(owner)
    assert (await api(MY_IDENTITY, token=token))["myIdentity"] is None
    # a lowercase x and spaces are accepted
    number = "11010519491231002X"
    done = (await api(SUBMIT, {"n": " 张三 ", "i": " 11010519491231002x "}, token=token))["submitIdentity"]
    assert done == {"identity": {"realName": "张三", "idNumber": "110105********002X"}, "errors": []}
    mine = (await api(MY_IDENTITY, token=token))["myIdentity"]
    assert mine["realName"] == "张三" and mine["idNumber"] == "110105********002X"
    assert (await identity.require_identity(owner.id)).id_number == number
    # support staff (user.read) see it masked, the phone too
    admin = await token_for(await make_user(roles=("support",)))
    seen = (await api(ADMIN_USER, {"id": gid(owner)}, token=admin))["user"]
    assert seen["identity"] == {"realName": "张*", "idNumber": "110105********002X"}
    assert seen["phone"] != owner.phone and "****" in seen["phone"]


async def test_identity_bad_input_changes_nothing(api):
    owner = await make_user("owner")
    token = await token_for(owner)
    bad_check = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
    cases = [
        ({"n": "张三", "i": bad_check}, "INVALID_ID_NUMBER", "idNumber"),
        ({"n": "张三", "i": "1101011990030712"}, "INVALID_ID_NUMBER", "idNumber"),
        ({"n": "张三", "i": id_number("11010119901307123")}, "INVALID_ID_NUMBER", "idNumber"),  # month 13
        ({"n": "张", "i": ID_A}, "INVALID_INPUT", "realName"),
    ]
    for variables, code, field in cases:
        result = (await api(SUBMIT, variables, token=token))["submitIdentity"]
        assert result == {"identity": None, "errors": [{"code": code, "field": at(field)}]}, variables
    assert await UserIdentity.all().count() == 0
    # once only, and one account per ID number
    assert (await api(SUBMIT, {"n": "张三", "i": ID_A}, token=token))["submitIdentity"]["errors"] == []
    again = (await api(SUBMIT, {"n": "李四", "i": ID_B}, token=token))["submitIdentity"]
    assert again["errors"] == [{"code": "IDENTITY_ALREADY_SUBMITTED", "field": None}]
    other = await token_for(await make_user("other"))
    taken = (await api(SUBMIT, {"n": "张三", "i": ID_A.lower()}, token=other))["submitIdentity"]
    assert taken["errors"] == [{"code": "ID_NUMBER_TAKEN", "field": ["idNumber"]}]
    rows = await UserIdentity.all()
    assert len(rows) == 1 and rows[0].user_id == owner.id and rows[0].real_name == "张三" and rows[0].id_number == ID_A


async def test_phones_are_masked_to_everyone_but_the_owner(api):
    owner = await make_user("owner", phone="+8613800138000")
    token = await token_for(owner)
    await Address.create(
        user_id=owner.id,
        recipient="张三",
        phone="+8613900139000",
        province_code="330000",
        city_code="330100",
        county_code="330106",
        region_name="x",
        detail="d",
        is_default=True,
    )
    me = (await api(ME, token=token))["me"]
    assert me["phone"] == "+8613800138000" and me["addresses"] == [{"phone": "+8613900139000"}]
    admin = await token_for(await make_user(roles=("support",)))
    seen = (await api(ADMIN_USER, {"id": gid(owner)}, token=admin))["user"]
    assert seen["phone"] == "138****8000" and seen["addresses"] == [{"phone": "139****9000"}]
    assert seen["identity"] is None


async def test_order_address_phone_in_full_to_buyer_and_merchant_staff_only(api):
    # given an express order
    buyer, address = await make_buyer()
    merchant, _, skus = await make_shop()
    order = (await place(buyer, address, [(skus[0].id, 1)])).orders[0]
    # then the buyer and the merchant's owner (merchant.orders: they ship it) see the phone
    for viewer in (buyer, await User.get(id=merchant.owner_id)):
        seen = (await api(ORDER, {"id": gid(order)}, token=await token_for(viewer)))["order"]
        assert seen["address"] == {"recipient": "张三", "phone": "+8613900000000"}
    # and platform support (order.manage) sees it masked
    support = await token_for(await make_user(roles=("support",)))
    seen = (await api(ORDER, {"id": gid(order)}, token=support))["order"]
    assert seen["address"] == {"recipient": "张三", "phone": "139****0000"}
    # the snapshot JSON itself holds no phone
    assert "phone" not in (await type(order).get(id=order.id)).address


async def test_a_page_of_users_reads_their_identities_in_one_query(api):
    from tests.helpers import verify_identity
    from tests.querycount import count_queries

    admin = await token_for(await make_user(roles=("support",)))
    query = "{ users(first: 50) { nodes { id identity { realName } } } }"
    counts = []
    for n in (1, 4):
        for i in range(n):
            await verify_identity(await make_user(f"u{n}{i}"), "李四")
        with count_queries() as counter:
            nodes = (await api(query, token=admin))["users"]["nodes"]
        counts.append(counter.count)
        assert sum(1 for node in nodes if node["identity"] == {"realName": "李*"}) == {1: 1, 4: 5}[n]
    assert counts[0] == counts[1]
