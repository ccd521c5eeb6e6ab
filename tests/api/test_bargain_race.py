"""Concurrent helps on PostgreSQL (MKT-3): friends press "help" on one bargain at the same
moment, as real concurrent GraphQL requests (each its own connection and transaction). The
bargain's row lock serialises them: each takes distinct positions of the cut sequence, the
helps add up exactly to start − floor once every cut is taken, and the price never passes the
floor (the later ones are answered BARGAIN_CLOSED)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

import settings
from models.marketing import Bargain, BargainHelp
from services.marketing import bargain as bargain_service
from tests.api.test_bargains import HELP, _world
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for

pytestmark = [requires_postgres]

FRIENDS = 20


async def _friends(n: int) -> list[str]:
    users = await asyncio.gather(*(make_user(f"friend{i}") for i in range(n)))
    return await asyncio.gather(*(token_for(u) for u in users))


@pytest.mark.parametrize(("helps", "new_user_cuts", "winners"), [(20, 1, 20), (12, 1, 12), (13, 2, 7)])
async def test_concurrent_helps_sum_exactly_to_the_floor_and_never_pass_it(
    api, monkeypatch, helps, new_user_cuts, winners
):
    monkeypatch.setattr(settings, "BARGAIN_NEW_USER_CUTS", new_user_cuts)
    _, _, activity, _ = await _world(api, helps=helps, start="100.00", floor="10.00")
    starter = await make_user("starter")
    bargain = await bargain_service.start(starter.id, pk_of(activity["id"]))
    tokens = await _friends(FRIENDS)

    async def press(i: int, token: str) -> str:
        headers = {"Authorization": f"Bearer {token}", "X-Device-Id": f"device-{i}"}
        body = await api.raw(HELP, {"id": gid("Bargain", bargain.id)}, headers=headers)
        errors = body["data"]["helpBargain"]["errors"]
        return errors[0]["code"] if errors else "HELPED"

    answers = Counter(await asyncio.gather(*(press(i, t) for i, t in enumerate(tokens))))
    assert answers == Counter({"HELPED": winners, "BARGAIN_CLOSED": FRIENDS - winners}), answers
    row = await Bargain.get(id=bargain.id)
    helps_ = await BargainHelp.filter(bargain_id=bargain.id).order_by("position")
    assert row.taken == helps and row.price == 1_000
    assert sum(h.amount for h in helps_) == 9_000 == sum(row.cuts)
    positions = [p for h in helps_ for p in range(h.position, h.position + h.count)]
    assert positions == list(range(helps))  # every cut taken once, in sequence
    assert all(h.amount == sum(row.cuts[h.position : h.position + h.count]) for h in helps_)
