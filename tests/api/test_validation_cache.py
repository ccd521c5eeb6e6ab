"""Speed guards that are about work done, not time: a repeated query is validated once."""

import strawberry.schema.schema as strawberry_schema


async def test_repeated_query_is_validated_once(api, monkeypatch):
    calls = []
    real = strawberry_schema.validate
    monkeypatch.setattr(strawberry_schema, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        await api.raw("{ me { id nickname } }")
    assert len(calls) <= 1


async def test_list_rows_are_not_treated_as_pending_results():
    from schema.fast_paths.executor import _is_awaitable
    from tests.helpers import make_user

    async def coro():
        return 1

    pending = coro()
    assert _is_awaitable(pending)
    await pending
    assert not _is_awaitable(await make_user())
