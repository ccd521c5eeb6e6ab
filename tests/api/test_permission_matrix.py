"""ACC-3: every protected field refuses anonymous users and users without its permission.

The matrix is checked against the schema itself: adding a protected field without a
row here fails `test_matrix_covers_every_protected_field`.
"""

import pytest
from strawberry.permission import PermissionExtension

from schema.permissions import HasPermission
from schema.schema import schema
from services.accounts.access import ROLES
from tests.api.ops import collect_operations, collect_public
from tests.helpers import gid, make_user, token_for

# (root, field) -> operation exercising it; each domain keeps its rows in tests/api/ops_*.py
OPERATIONS = collect_operations()


def protected_fields() -> dict[tuple[str, str], str | None]:
    """(root, field) -> required platform permission, or None for 'signed in'."""
    found = {}
    for root in ("Query", "Mutation", "Subscription"):
        for field in schema.get_type_by_name(root).fields:
            perms = [p for ext in field.extensions if isinstance(ext, PermissionExtension) for p in ext.permissions]
            if perms:
                name = schema.config.name_converter.get_graphql_name(field)
                needed = [p.permission for p in perms if isinstance(p, HasPermission)]
                found[(root, name)] = needed[0] if needed else None
    return found


PROTECTED = protected_fields()
HTTP_CASES = sorted((k, v) for k, v in PROTECTED.items() if OPERATIONS.get(k))


def test_matrix_covers_every_protected_field():
    assert set(PROTECTED) == set(OPERATIONS)


def test_public_fields_are_exactly_the_declared_ones():
    public = set()
    for root in ("Query", "Mutation"):
        for field in schema.get_type_by_name(root).fields:
            name = schema.config.name_converter.get_graphql_name(field)
            if (root, name) not in PROTECTED:
                public.add(name)
    assert public == collect_public()


@pytest.mark.parametrize("field,permission", HTTP_CASES, ids=[f"{r}.{n}" for (r, n), _ in HTTP_CASES])
async def test_anonymous_is_refused(api, field, permission):
    assert await api.error_code(OPERATIONS[field]) == "UNAUTHENTICATED"


@pytest.mark.parametrize("field,permission", HTTP_CASES, ids=[f"{r}.{n}" for (r, n), _ in HTTP_CASES])
async def test_customer_is_refused_where_a_permission_is_needed(api, field, permission):
    token = await token_for(await make_user())
    body = await api.raw(OPERATIONS[field], token=token)
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    if permission is None:
        assert "FORBIDDEN" not in codes and "UNAUTHENTICATED" not in codes, body
    else:
        assert codes == ["FORBIDDEN"], body


ADMIN_CASES = [(k, v) for k, v in HTTP_CASES if v is not None]


@pytest.mark.parametrize("field,permission", ADMIN_CASES, ids=[f"{r}.{n}" for (r, n), _ in ADMIN_CASES])
async def test_fine_grained_admin_roles(api, field, permission):
    for role, spec in ROLES.items():
        if spec.scope != "PLATFORM":
            continue
        token = await token_for(await make_user(roles=(role,)))
        body = await api.raw(OPERATIONS[field], token=token)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        if permission in spec.permissions:
            assert "FORBIDDEN" not in codes, (role, body)
        else:
            assert codes == ["FORBIDDEN"], (role, body)


async def test_other_users_addresses_need_user_read(api):
    owner = await make_user()
    await api(
        'mutation { createAddress(input: {recipient: "a", phone: "13800138000", provinceCode: "110000", cityCode: "110100", countyCode: "110101", detail: "d"}) { errors { code } } }',
        token=await token_for(owner),
    )
    query = f'{{ user(id: "{gid(owner)}") {{ phone addresses {{ detail }} }} }}'
    finance = await token_for(await make_user(roles=("finance",)))
    data = await api(query, token=finance)
    assert data["user"]["phone"] != owner.phone and "****" in data["user"]["phone"]
    assert data["user"]["addresses"] == [{"detail": "d"}]
