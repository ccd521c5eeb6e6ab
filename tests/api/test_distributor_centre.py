"""The distributor centre (DIS-5) through GraphQL and HTTP: team per level with a chain
A→B→C→D (counts, masked members, their paid orders, constant query counts), performance by
period (team orders, commissions booked and released), invite link and QR code (PNG and
SVG), the tracking link (click recorded without the raw IP, 302 to sign-up; unknown code
404 and nothing recorded), conversion numbers, leaderboards, and bad input refused."""

from __future__ import annotations

from datetime import timedelta

from jobs import distribution as distribution_jobs
from models.distributors import InviteClick, InviteSignup
from services.accounts import referral
from services.core import clock
from services.core.business_days import today
from services.ledger import ledger
from tests.api import ops_distributor_centre as ops
from tests.api.test_distribution import buy, configure, finish, member
from tests.api.test_distributor_onboarding import admin_token, apply, set_mode
from tests.helpers import make_user, token_for
from tests.order_factories import make_shop
from tests.querycount import count_queries

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def chain():
    """A→B→C→D (D's referrer is C …), and E also directly under A."""
    a, _ = await member("阿A")
    b, _ = await member("阿B", upline=a)
    c, _ = await member("阿C", upline=b)
    d, d_address = await member("阿D", upline=c, wallet=100_000)
    e, _ = await member("阿E", upline=a)
    return a, b, c, d, d_address, e


def amounts(node: dict) -> dict:
    return {k: (v["amount"] if isinstance(v, dict) else v) for k, v in node.items() if k not in ("start", "end")}


# --------------------------------------------------------------------------- team


async def test_team_per_level_with_masked_members_and_their_orders(api):
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    a, b, c, d, d_address, e = await chain()
    await buy(api, d, d_address, sku.id, 2)
    token = await token_for(a)

    assert (await api(ops.TEAM_COUNTS, token=token))["myTeamCounts"] == {
        "level1": 2,
        "level2": 1,
        "level3": 1,
        "total": 4,
    }
    assert (await api(ops.TEAM_COUNTS, token=await token_for(b)))["myTeamCounts"] == {
        "level1": 1,
        "level2": 1,
        "level3": 0,
        "total": 2,
    }
    assert (await api(ops.TEAM_COUNTS, token=await token_for(d)))["myTeamCounts"]["total"] == 0

    level1 = (await api(ops.TEAM, {"level": 1}, token=token))["myTeam"]["nodes"]
    assert [(n["level"], n["maskedName"]) for n in level1] == [(1, "阿*"), (1, "阿*")]
    level3 = (await api(ops.TEAM, {"level": 3}, token=token))["myTeam"]["nodes"]
    assert [(n["level"], n["paidOrders"], n["paidAmount"]["amount"]) for n in level3] == [(3, 1, "200.00")]
    assert level3[0]["joinedAt"] is not None
    assert (await api(ops.TEAM, {"level": 2}, token=await token_for(c)))["myTeam"]["nodes"] == []

    page = (await api(ops.TEAM, {"level": 1, "first": 1}, token=token))["myTeam"]
    assert len(page["nodes"]) == 1 and page["pageInfo"]["hasNextPage"]
    rest = (await api(ops.TEAM, {"level": 1, "first": 1, "after": page["pageInfo"]["endCursor"]}, token=token))[
        "myTeam"
    ]
    assert len(rest["nodes"]) == 1 and not rest["pageInfo"]["hasNextPage"]

    assert await api.error_code(ops.TEAM, {"level": 4}, token=token) == "INVALID_INPUT"
    assert await api.error_code(ops.TEAM, {"level": 0}, token=token) == "INVALID_INPUT"
    assert await api.error_code(ops.TEAM, {"level": 1, "first": 1000}, token=token) == "PAGE_SIZE_EXCEEDED"


async def test_team_list_costs_the_same_number_of_queries_whatever_its_length(api):
    merchant, _, [sku] = await make_shop(price=1_000, stock=50)
    a, _ = await member("阿A")
    token = await token_for(a)

    async def measured() -> int:
        with count_queries() as counter:
            await api(ops.TEAM, {"level": 2, "first": 50}, token=token)
        return counter.count

    b, _ = await member("阿B", upline=a)
    x, x_address = await member("小X", upline=b, wallet=10_000)
    await buy(api, x, x_address, sku.id, 1)
    small = await measured()
    for i in range(6):
        y, y_address = await member(f"小Y{i}", upline=b, wallet=10_000)
        await buy(api, y, y_address, sku.id, 1)
    assert len((await api(ops.TEAM, {"level": 2, "first": 50}, token=token))["myTeam"]["nodes"]) == 7
    assert await measured() == small


async def test_the_centre_is_for_distributors_only_outside_auto(api):
    await set_mode(api, "APPROVAL")
    user = await make_user("路人")
    token = await token_for(user)
    for document, variables in (
        (ops.TEAM_COUNTS, None),
        (ops.TEAM, {"level": 1}),
        (ops.INVITE, None),
        (ops.PERFORMANCE, {"p": "DAY", "f": str(today()), "t": str(today())}),
    ):
        assert await api.error_code(document, variables, token=token) == "NOT_A_DISTRIBUTOR"
    assert (await api.raw(ops.TEAM_COUNTS))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --------------------------------------------------------------------------- performance


async def test_performance_counts_team_orders_and_commissions_booked_then_released(api):
    await configure(api, [("PERCENT", 1000), ("PERCENT", 500), ("PERCENT", 200)], freeze_days=7)
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    a, b, c, d, d_address, e = await chain()
    placed = await buy(api, d, d_address, sku.id, 1)
    await buy(api, d, d_address, sku.id, 2)
    start = today()
    token = await token_for(a)

    report = (await api(ops.PERFORMANCE, {"p": "DAY", "f": str(start), "t": str(start)}, token=token))[
        "myDistributorPerformance"
    ]
    assert [amounts(x) for x in report["buckets"]] == [
        {"teamOrders": 2, "teamGoods": "300.00", "commissionBooked": "6.00", "commissionReleased": "0.00"}
    ]
    c_report = await api(ops.PERFORMANCE, {"p": "DAY", "f": str(start), "t": str(start)}, token=await token_for(c))
    assert amounts(c_report["myDistributorPerformance"]["total"])["commissionBooked"] == "30.00"

    await finish(api, merchant, placed, d)
    clock.advance(timedelta(days=7, seconds=1))
    assert await distribution_jobs.release_commissions() == "released 3 commissions"
    later = today()
    token = await token_for(a)  # the clock moved past the old token's life
    report = (await api(ops.PERFORMANCE, {"p": "DAY", "f": str(start), "t": str(later)}, token=token))[
        "myDistributorPerformance"
    ]
    assert len(report["buckets"]) == (later - start).days + 1
    assert amounts(report["buckets"][-1]) == {
        "teamOrders": 0,
        "teamGoods": "0.00",
        "commissionBooked": "0.00",
        "commissionReleased": "2.00",
    }
    assert amounts(report["total"]) == {
        "teamOrders": 2,
        "teamGoods": "300.00",
        "commissionBooked": "6.00",
        "commissionReleased": "2.00",
    }
    week = (await api(ops.PERFORMANCE, {"p": "MONTH", "f": str(start), "t": str(later)}, token=token))[
        "myDistributorPerformance"
    ]
    assert amounts(week["total"]) == amounts(report["total"])
    assert await ledger.check_invariants() == []

    bad = {"p": "DAY", "f": str(later), "t": str(start)}
    assert await api.error_code(ops.PERFORMANCE, bad, token=token) == "INVALID_DATE_RANGE"
    future = {"p": "DAY", "f": str(later), "t": str(later + timedelta(days=1))}
    assert await api.error_code(ops.PERFORMANCE, future, token=token) == "INVALID_DATE_RANGE"


# --------------------------------------------------------------------------- invite link, QR, clicks


async def test_invite_link_and_qr_code_images(api):
    a = await make_user("阿A")
    link = (await api(ops.INVITE, token=await token_for(a)))["myInviteLink"]
    assert link["code"] == a.invite_code
    assert link["url"].endswith(f"/r/{a.invite_code}") and a.invite_code in link["signupUrl"]
    assert link["qrSvgDataUri"].startswith("data:image/svg+xml")

    png = await api.client.get(f"/qr/invite/{a.invite_code}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content.startswith(PNG_MAGIC)
    svg = await api.client.get(f"/qr/invite/{a.invite_code.lower()}.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<svg") and "</svg>" in svg.text
    assert link["qrPngUrl"].endswith(f"/qr/invite/{a.invite_code}.png") and link["qrSvgUrl"].endswith(".svg")
    for path in ("/qr/invite/NOSUCH99.png", f"/qr/invite/{a.invite_code}.gif", "/qr/invite/%20.svg"):
        assert (await api.client.get(path)).status_code == 404


async def test_tracking_link_records_the_click_and_redirects_unknown_code_is_404(api):
    a = await make_user("阿A")
    response = await api.client.get(f"/r/{a.invite_code}", headers={"user-agent": "WeChat/8.0"}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].endswith(f"inviteCode={a.invite_code}")
    click = await InviteClick.get()
    assert (click.distributor_id, click.code) == (a.id, a.invite_code)
    assert len(click.visitor_hash) == 64 and "10.1.2.3" not in click.visitor_hash  # no raw IP kept

    for code in ("NOSUCH99", "x" * 40, "%E4%BD%A0"):
        assert (await api.client.get(f"/r/{code}", follow_redirects=False)).status_code == 404
    assert await InviteClick.all().count() == 1


async def test_conversion_clicks_sign_ups_buyers(api):
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    a, _ = await member("阿A")
    for agent in ("one", "two", "three", "four"):
        assert (await api.client.get(f"/r/{a.invite_code}", headers={"user-agent": agent})).status_code == 302
    x, x_address = await member("小X", upline=a, wallet=50_000)  # signs up with A's code
    await member("小Y", upline=a)
    z = await make_user("小Z")
    await referral.bind_upline(z, a.invite_code, source="ADMIN", actor_id=None, reason="客服")  # not a sign-up
    await buy(api, x, x_address, sku.id, 1)
    await buy(api, x, x_address, sku.id, 2)

    day = str(today())
    stats = (await api(ops.PROMOTION, {"p": "WEEK", "f": day, "t": day}, token=await token_for(a)))["myPromotionStats"]
    assert amounts(stats["total"]) == {
        "clicks": 4,
        "signUps": 2,
        "buyers": 1,
        "orders": 2,
        "orderGoods": "300.00",
        "signUpRateBp": 5000,
        "buyerRateBp": 5000,
    }
    assert len(stats["buckets"]) == 1
    assert sorted(await InviteSignup.filter(upline_id=a.id).values_list("source", flat=True)) == ["SIGNUP", "SIGNUP"]

    nothing = (await api(ops.PROMOTION, {"p": "DAY", "f": day, "t": day}, token=await token_for(x)))[
        "myPromotionStats"
    ]["total"]
    assert (nothing["clicks"], nothing["signUpRateBp"], nothing["buyerRateBp"]) == (0, None, None)


# --------------------------------------------------------------------------- leaderboards


async def test_leaderboards_rank_by_commission_and_new_members(api):
    await configure(api, [("PERCENT", 1000)])
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    p, _ = await member("潘多拉")
    q, _ = await member("秦")
    p1, p1_address = await member("买家1", upline=p, wallet=100_000)
    q1, q1_address = await member("买家2", upline=q, wallet=100_000)
    await member("买家3", upline=q)
    await member("买家4", upline=q)
    await buy(api, p1, p1_address, sku.id, 3)  # P earns 30.00
    await buy(api, q1, q1_address, sku.id, 1)  # Q earns 10.00
    token = await token_for(q)

    board = (await api(ops.LEADERBOARD, {"by": "COMMISSION", "p": "MONTH"}, token=token))["distributorLeaderboard"]
    assert [
        (e["rank"], e["maskedName"], e["newMembers"], e["amount"]["amount"], e["isMe"]) for e in board["entries"]
    ] == [
        (1, "潘**", None, "30.00", False),
        (2, "秦*", None, "10.00", True),
    ]
    assert board["start"] == str(today().replace(day=1))
    members = (await api(ops.LEADERBOARD, {"by": "NEW_MEMBERS", "p": "DAY"}, token=token))["distributorLeaderboard"]
    assert [(e["maskedName"], e["newMembers"], e["amount"]) for e in members["entries"]] == [
        ("秦*", 3, None),
        ("潘**", 1, None),
    ]
    top = (await api(ops.LEADERBOARD, {"by": "NEW_MEMBERS", "p": "WEEK", "limit": 1}, token=token))[
        "distributorLeaderboard"
    ]
    assert [e["maskedName"] for e in top["entries"]] == ["秦*"]
    for limit in (0, 101):
        assert (
            await api.error_code(ops.LEADERBOARD, {"by": "COMMISSION", "p": "DAY", "limit": limit}, token=token)
            == "INVALID_INPUT"
        )

    # outside AUTO only distributors are ranked
    admin = await admin_token()
    await set_mode(api, "APPROVAL", token=admin)
    app = (await apply(api, q))["application"]
    await api(ops.REVIEW, {"id": app["id"], "ok": True}, token=admin)
    board = (await api(ops.LEADERBOARD, {"by": "COMMISSION", "p": "MONTH"}, token=token))["distributorLeaderboard"]
    assert [e["maskedName"] for e in board["entries"]] == ["秦*"]
