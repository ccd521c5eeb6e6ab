"""The schema is the product's face: committed, described, and guarded."""

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema.schema import public_schema, schema
from tests.helpers import make_user, token_for

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_graphql_is_current():
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == public_schema().as_str() + "\n", (
        "run `python -m manage export-schema` and commit schema.graphql"
    )


def test_every_type_field_argument_input_field_and_enum_value_has_a_description():
    missing = []
    for name, gql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if (
            isinstance(gql_type, (GraphQLObjectType, GraphQLInputObjectType, GraphQLEnumType))
            and not gql_type.description
        ):
            if name not in ("Query", "Mutation", "Subscription"):
                missing.append(name)
        if isinstance(gql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in gql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(gql_type, GraphQLEnumType):
            missing += [
                f"{name}.{value}" for value, definition in gql_type.values.items() if not definition.description
            ]
    assert missing == []


def test_money_is_never_a_float():
    assert " Float" not in schema.as_str()


async def test_query_deeper_than_the_limit_is_refused(api):
    from schema.schema import settings

    assert (await api.raw("{ me { upline { id } } }")).get("errors") is None
    deep = "{ me " + "{ upline " * settings.MAX_QUERY_DEPTH + "{ id }" + " }" * settings.MAX_QUERY_DEPTH + " }"
    body = await api.raw(deep)
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])


async def test_alias_limit(api):
    from schema.schema import settings

    query = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(settings.MAX_ALIASES + 1)) + " }"
    body = await api.raw(query)
    assert "errors" in body and "aliases" in body["errors"][0]["message"]


async def test_token_limit(api):
    from schema.schema import settings

    query = "{ " + " ".join("__typename" for _ in range(settings.MAX_TOKENS)) + " }"
    body = await api.raw(query)
    assert "errors" in body and "token" in body["errors"][0]["message"].lower()


async def test_introspection_is_disabled_outside_debug(api):
    body = await api.raw("{ __schema { queryType { name } } }")
    assert "errors" in body and "introspection" in body["errors"][0]["message"].lower()


async def test_introspection_works_in_debug():
    import httpx

    from app import create_app

    transport = httpx.ASGITransport(app=create_app(debug=True, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = (await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_unexpected_errors_are_masked_outside_debug(api, monkeypatch):
    from services.accounts import notifications

    async def boom(*args, **kwargs):
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(notifications, "mark_read", boom)
    token = await token_for(await make_user())
    body = await api.raw('mutation { markNotificationsRead(ids: ["Tm90aWZpY2F0aW9uOjE="]) { marked } }', token=token)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in str(body)


async def test_page_size_cap(api):
    from schema.schema import settings

    token = await token_for(await make_user())
    code = await api.error_code(
        "query($n: Int!) { myNotifications(first: $n) { nodes { id } } }",
        {"n": settings.MAX_PAGE_SIZE + 1},
        token=token,
    )
    assert code == "PAGE_SIZE_EXCEEDED"
    assert (
        await api.error_code('{ myNotifications(after: "garbage") { nodes { id } } }', token=token) == "INVALID_CURSOR"
    )


async def test_graphiql_in_debug_passes_its_headers_to_subscriptions():
    import httpx

    from app import create_app

    transport = httpx.ASGITransport(app=create_app(debug=True, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "wsConnectionParams" in page.text
    transport = httpx.ASGITransport(app=create_app(debug=False, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/graphql", headers={"Accept": "text/html"})).status_code != 200


def test_no_two_python_types_share_a_graphql_name():
    """Strawberry keeps one of two same-named types silently (a settlement StatementLine once
    hid the wallet's): every GraphQL name must belong to one class."""
    import importlib
    import pkgutil

    import schema.types as types_package

    owners: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(types_package.__path__):
        module = importlib.import_module(f"schema.types.{module_info.name}")
        for obj in vars(module).values():
            definition = getattr(obj, "__strawberry_definition__", None) or getattr(
                obj, "__strawberry_enum_definition__", None
            )
            if (
                definition is None
                or getattr(obj, "__module__", None) != module.__name__
                or getattr(definition, "is_graphql_generic", False)
            ):
                continue
            where = f"{module.__name__}.{obj.__name__}"
            assert owners.setdefault(definition.name, where) == where, (
                f"{definition.name}: {owners[definition.name]} and {where}"
            )
