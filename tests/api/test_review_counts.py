"""Admin review counts: one query for the badge, and a live subscription that follows
each queue as items are added and decided."""

from __future__ import annotations

import json

from services.accounts import review_queues
from services.core.events import admin_channel
from tests.api.test_merchants import APPLICATION, APPLY, REVIEW, admin_token
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import make_user, token_for

COUNTS = "{ adminReviewCounts { total queues { queue pending description } } }"
LIVE = "subscription { adminReviewCounts { total queues { queue pending } } }"


def _pending(counts: dict, queue: str) -> int:
    return next(q["pending"] for q in counts["queues"] if q["queue"] == queue)


async def test_admins_see_the_pending_count_of_the_queues_they_may_work(api):
    admin = await admin_token()
    assert _pending((await api(COUNTS, token=admin))["adminReviewCounts"], "MERCHANT_APPLICATIONS") == 0
    applicant = await token_for(await make_user())
    await api(APPLY, {"a": APPLICATION}, token=applicant)
    counts = (await api(COUNTS, token=admin))["adminReviewCounts"]
    assert _pending(counts, "MERCHANT_APPLICATIONS") == 1 and counts["total"] >= 1
    # Someone who may work no queue sees none (not an error: the badge is simply empty).
    nobody = await token_for(await make_user())
    assert (await api(COUNTS, token=nobody))["adminReviewCounts"] == {"total": 0, "queues": []}


async def test_the_live_counts_follow_an_application_and_its_decision(app, api):
    admin = await admin_token()
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(admin)
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LIVE}}))
        first = (await c.recv())["payload"]["data"]["adminReviewCounts"]
        assert _pending(first, "MERCHANT_APPLICATIONS") == 0
        await wait_for_listener(admin_channel())

        applied = (await api(APPLY, {"a": APPLICATION}, token=await token_for(await make_user())))["applyForMerchant"]
        assert _pending((await c.recv())["payload"]["data"]["adminReviewCounts"], "MERCHANT_APPLICATIONS") == 1

        # A refused application (validation error) changes nothing and sends nothing: the next update is the decision.
        await api(APPLY, {"a": {**APPLICATION, "name": ""}}, token=await token_for(await make_user()))
        decided = await api(REVIEW["APPROVE"], {"id": applied["merchant"]["id"]}, token=admin)
        assert decided["approveMerchant"]["errors"] == []
        assert _pending((await c.recv())["payload"]["data"]["adminReviewCounts"], "MERCHANT_APPLICATIONS") == 0


async def test_the_live_counts_are_refused_to_users_with_no_queue(app):
    for token, code in ((None, "UNAUTHENTICATED"), (await token_for(await make_user()), "FORBIDDEN")):
        client, connect = await open_ws(app, "graphql-transport-ws")
        async with client, connect as ws:
            c = WsClient(ws, "graphql-transport-ws")
            await c.init(token)
            await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LIVE}}))
            message = await c.recv()
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == code


def test_every_registered_queue_names_a_known_permission():
    from services.accounts.access import PERMISSIONS

    assert review_queues.QUEUES and all(q.permission in PERMISSIONS for q in review_queues.QUEUES.values())
