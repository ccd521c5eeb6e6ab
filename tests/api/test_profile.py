"""Profile and shipping addresses (ACC-2)."""

from models.accounts import Address, User
from tests.helpers import at, make_user, pk_of, token_for

ADDRESS = {
    "recipient": "王小明",
    "phone": "13800138000",
    "provinceCode": "330000",
    "cityCode": "330100",
    "countyCode": "330106",
    "regionName": "浙江省 杭州市 西湖区",
    "detail": "文三路 90 号",
}
CREATE = (
    "mutation($a: AddressInput!) { createAddress(input: $a) { address { id isDefault phone } errors { code field } } }"
)
UPDATE = "mutation($id: ID!, $a: AddressInput!) { updateAddress(id: $id, input: $a) { address { id detail isDefault } errors { code field } } }"
DELETE = "mutation($id: ID!) { deleteAddress(id: $id) { errors { code } } }"
DEFAULT = "mutation($id: ID!) { setDefaultAddress(id: $id) { address { id isDefault } errors { code } } }"
MY_ADDRESSES = "{ me { addresses { id isDefault } } }"


async def test_update_profile(api):
    user = await make_user()
    token = await token_for(user)
    data = await api(
        'mutation { updateProfile(nickname: " 小美 ", avatarUrl: "https://img.example.com/a.png") { user { nickname avatarUrl } errors { code } } }',
        token=token,
    )
    assert data["updateProfile"] == {
        "user": {"nickname": "小美", "avatarUrl": "https://img.example.com/a.png"},
        "errors": [],
    }


async def test_update_profile_bad_input_changes_nothing(api):
    user = await make_user("before")
    token = await token_for(user)
    for args, field in (
        ('nickname: ""', "nickname"),
        (f'nickname: "{"x" * 33}"', "nickname"),
        ('avatarUrl: "javascript:alert(1)"', "avatarUrl"),
    ):
        data = await api(
            f"mutation {{ updateProfile({args}) {{ user {{ id }} errors {{ code field }} }} }}", token=token
        )
        assert data["updateProfile"]["errors"] == [{"code": "INVALID_INPUT", "field": at(field)}]
    assert (await User.get(id=user.id)).nickname == "before"


async def test_first_address_is_default_and_exactly_one_default_remains(api):
    token = await token_for(await make_user())
    first = (await api(CREATE, {"a": ADDRESS}, token=token))["createAddress"]
    assert first["errors"] == [] and first["address"]["isDefault"] and first["address"]["phone"] == "+8613800138000"
    second = (await api(CREATE, {"a": {**ADDRESS, "isDefault": True}}, token=token))["createAddress"]["address"]
    listed = (await api(MY_ADDRESSES, token=token))["me"]["addresses"]
    assert [a["isDefault"] for a in listed] == [True, False] and listed[0]["id"] == second["id"]
    await api(DEFAULT, {"id": first["address"]["id"]}, token=token)
    await api(DELETE, {"id": first["address"]["id"]}, token=token)
    listed = (await api(MY_ADDRESSES, token=token))["me"]["addresses"]
    assert listed == [{"id": second["id"], "isDefault": True}]


async def test_update_address(api):
    token = await token_for(await make_user())
    created = (await api(CREATE, {"a": ADDRESS}, token=token))["createAddress"]["address"]
    updated = (await api(UPDATE, {"id": created["id"], "a": {**ADDRESS, "detail": "新地址 1 号"}}, token=token))[
        "updateAddress"
    ]
    assert updated["errors"] == [] and updated["address"]["detail"] == "新地址 1 号"


async def test_bad_addresses_are_refused_and_nothing_is_written(api):
    token = await token_for(await make_user())
    cases = [
        ({"recipient": ""}, "INVALID_INPUT", "recipient"),
        ({"phone": "123"}, "INVALID_PHONE", "phone"),
        ({"countyCode": "33010"}, "INVALID_INPUT", "countyCode"),
        ({"countyCode": "440106"}, "INVALID_INPUT", "countyCode"),
        ({"detail": "  "}, "INVALID_INPUT", "detail"),
    ]
    for change, code, field in cases:
        result = (await api(CREATE, {"a": {**ADDRESS, **change}}, token=token))["createAddress"]
        assert result["errors"] == [{"code": code, "field": at(field)}], change
    assert await Address.all().count() == 0


async def test_someone_elses_address_is_not_found(api):
    owner, other = await make_user(), await make_user()
    created = (await api(CREATE, {"a": ADDRESS}, token=await token_for(owner)))["createAddress"]["address"]
    token = await token_for(other)
    for query, variables in (
        (UPDATE, {"id": created["id"], "a": {**ADDRESS, "detail": "hijack"}}),
        (DELETE, {"id": created["id"]}),
        (DEFAULT, {"id": created["id"]}),
    ):
        data = await api(query, variables, token=token)
        assert next(iter(data.values()))["errors"] == [
            {"code": "NOT_FOUND", **({"field": ["id"]} if "field" in query else {})}
        ]
    address = await Address.get(id=pk_of(created["id"]))
    assert address.detail == ADDRESS["detail"] and address.user_id == owner.id


async def test_malformed_id_is_invalid_id(api):
    token = await token_for(await make_user())
    data = await api(DELETE, {"id": "abc"}, token=token)
    assert data["deleteAddress"]["errors"] == [{"code": "INVALID_ID"}]
