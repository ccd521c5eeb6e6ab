"""How a resolver's DomainError reaches the client (resolvers/common.py): @payload_errors
turns it into a mutation payload's `errors`, @api_errors into a coded GraphQL error;
anything else is not swallowed, and permission checks run before the resolver."""

from __future__ import annotations

from typing import Annotated

import pytest
import strawberry
from strawberry.extensions import MaskErrors
from strawberry.permission import BasePermission, PermissionExtension

from resolvers.common import api_errors, payload_errors
from schema.errors import UserError
from schema.schema import should_mask
from services.core.errors import DomainError, ErrorCode
from tests.helpers import make_user, token_for

CALLED: list[str] = []


@strawberry.type
class ThingPayload:
    name: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


class Nobody(BasePermission):
    message = "Not for you."

    def has_permission(self, source, info, **kwargs) -> bool:
        return False


async def _act(name: str, fail: str) -> str:
    if fail == "domain":
        raise DomainError(ErrorCode.NOT_FOUND, "No such thing.", "name")
    if fail == "bug":
        raise RuntimeError("secret detail")
    return name


@strawberry.type
class Query:
    @strawberry.field
    @api_errors
    async def thing(self, fail: str = "") -> str:
        return await _act("thing", fail)


@strawberry.type
class Mutation:
    @strawberry.mutation
    @payload_errors
    async def rename(
        self, name: Annotated[str, strawberry.argument(description="The new name.")], fail: str = ""
    ) -> ThingPayload:
        return ThingPayload(name=await _act(name, fail))

    @strawberry.mutation(extensions=[PermissionExtension(permissions=[Nobody()], use_directives=False)])
    @payload_errors
    async def guarded(self) -> ThingPayload:
        CALLED.append("guarded")
        return ThingPayload(name="guarded")


schema = strawberry.Schema(
    query=Query, mutation=Mutation, extensions=[lambda: MaskErrors(should_mask_error=should_mask)]
)


async def test_a_domain_error_becomes_the_payload_errors():
    result = await schema.execute(
        'mutation { rename(name: "x", fail: "domain") { name errors { code field message } } }'
    )
    assert result.errors is None
    assert result.data == {
        "rename": {"name": None, "errors": [{"code": "NOT_FOUND", "field": ["name"], "message": "No such thing."}]}
    }


async def test_success_returns_the_resolvers_payload():
    result = await schema.execute('mutation { rename(name: "x") { name errors { code } } }')
    assert result.data == {"rename": {"name": "x", "errors": []}}


async def test_an_unexpected_exception_is_not_swallowed_but_masked():
    result = await schema.execute('mutation { rename(name: "x", fail: "bug") { name errors { code } } }')
    assert result.data is None
    assert [e.message for e in result.errors] == ["Unexpected error."]

    result = await schema.execute('{ thing(fail: "bug") }')
    assert [e.message for e in result.errors] == ["Unexpected error."]


async def test_a_domain_error_in_a_query_is_a_coded_graphql_error():
    result = await schema.execute('{ thing(fail: "domain") }')
    assert [(e.message, e.extensions) for e in result.errors] == [("No such thing.", {"code": "NOT_FOUND"})]
    assert (await schema.execute("{ thing }")).data == {"thing": "thing"}


async def test_permissions_are_checked_before_the_resolver_runs():
    CALLED.clear()
    result = await schema.execute("mutation { guarded { name } }")
    assert [e.message for e in result.errors] == ["Not for you."]
    assert CALLED == []


def test_the_resolvers_signature_builds_the_field():
    field = schema._schema.mutation_type.fields["rename"]
    assert list(field.args) == ["name", "fail"]
    assert field.args["name"].description == "The new name."
    assert str(field.type) == "ThingPayload!"


def test_payload_errors_needs_a_payload_return_type():
    with pytest.raises(TypeError, match="payload type"):

        @payload_errors
        async def not_a_payload() -> str:
            return ""


async def test_a_malformed_id_in_a_query_is_invalid_id(api):
    token = await token_for(await make_user())
    assert await api.error_code('{ payment(id: "not-a-number") { id } }', token=token) == "INVALID_ID"


async def test_every_mutation_declares_its_error_codes_and_lists_them():
    from resolvers.error_codes import MUTATION_ERRORS
    from schema.schema import mutation_type
    from schema.schema import schema as app_schema

    fields = mutation_type(True, True).__strawberry_definition__.fields  # the sandbox's too
    names = {field.base_resolver.wrapped_func.__name__ for field in fields}
    assert names == set(MUTATION_ERRORS), "declare each mutation's codes in resolvers/error_codes.py"
    graphql_fields = app_schema._schema.mutation_type.fields
    for field in fields:
        codes = MUTATION_ERRORS[field.base_resolver.wrapped_func.__name__]
        description = graphql_fields[app_schema.config.name_converter.get_graphql_name(field)].description
        for code in codes:
            assert code.value in description.split("Errors: ")[-1], (field.name, code)
        if field.extensions:
            assert "Errors: UNAUTHENTICATED" in description, field.name


async def test_an_undeclared_code_raises_under_strict_error_codes(monkeypatch):
    from resolvers import common
    from resolvers.error_codes import MUTATION_ERRORS

    monkeypatch.setattr(common.settings, "STRICT_ERROR_CODES", True)
    assert ErrorCode.CART_FULL not in MUTATION_ERRORS["request_sms_code"]

    async def request_sms_code(code: ErrorCode) -> ThingPayload:
        raise DomainError(code, "Refused.")

    resolve = payload_errors(request_sms_code)
    declared = MUTATION_ERRORS["request_sms_code"][0]
    assert (await resolve(declared)).errors[0].code == declared
    with pytest.raises(common.UndeclaredErrorCode, match="CART_FULL"):
        await resolve(ErrorCode.CART_FULL)
    monkeypatch.setattr(common.settings, "STRICT_ERROR_CODES", False)
    assert (await resolve(ErrorCode.CART_FULL)).errors[0].code == ErrorCode.CART_FULL
