"""Member grades end to end through GraphQL (DIS-6, MEM-4): the ladder as data (seeded,
admin CRUD, stable codes on bad input), upgrades by each rule kind (own sales, team sales,
direct and team size) on order completion and on a new team member, never down
automatically, admin set audited with a reason, the worker job (twice at once records
once), and the grade's commission rate paid after a rule upgrade."""

from __future__ import annotations

import asyncio

from jobs import grades as grade_jobs
from models.grades import Grade, GradeChange, GradeRule, UserGrade
from services.core.events import unit_of_work
from services.distribution import grades
from services.ledger import ledger
from tests.api.test_distribution import admin_token, buy, configure, finish, member, mine
from tests.helpers import at, gid, make_user, pk_of, token_for
from tests.order_factories import make_shop

GRADES = "{ grades { id code name rank description rules { id ownSalesMin { amount } teamSalesMin { amount } directMembersMin teamMembersMin } } }"
CREATE = """mutation($i: GradeInput!) { createGrade(input: $i) { grade { id code name rank rules { id directMembersMin ownSalesMin { amount } } }
  errors { code field } } }"""
UPDATE = "mutation($id: ID!, $i: GradeInput!) { updateGrade(id: $id, input: $i) { grade { code name rank rules { id } } errors { code field } } }"
DELETE = "mutation($id: ID!) { deleteGrade(id: $id) { deletedId errors { code field } } }"
SET = """mutation($u: ID!, $g: String!, $r: String!) { setUserGrade(userId: $u, grade: $g, reason: $r) { grade errors { code field } } }"""
MY_GRADE = """{ myGrade { grade current { code } next { code } ownSales { amount } teamSales { amount } directMembers teamMembers
  progress { ruleId met requirements { kind requiredAmount { amount } currentAmount { amount } missingAmount { amount }
  requiredCount currentCount missingCount } } history { fromGrade toGrade source ruleId reason } } }"""
HISTORY = "{ gradeHistory { nodes { fromGrade toGrade source ruleId reason referenceId } } }"


async def set_rules(api, code: str, *rules: dict) -> list[int]:
    """Replace a seeded grade's rules through the API; returns the new rule ids."""
    admin = await admin_token()
    ladder = {g["code"]: g for g in (await api(GRADES, token=admin))["grades"]}
    g = ladder[code]
    result = (
        await api(
            UPDATE,
            {"id": g["id"], "i": {"code": code, "name": g["name"], "rank": g["rank"], "rules": list(rules)}},
            token=admin,
        )
    )["updateGrade"]
    assert result["errors"] == [], result
    return [pk_of(r["id"]) for r in result["grade"]["rules"]]


async def my_grade(api, user) -> dict:
    return (await api(MY_GRADE, token=await token_for(user)))["myGrade"]


async def grade_of(user) -> str:
    return await grades.grade_of(user.id)


# --------------------------------------------------------------------------- the ladder


async def test_ladder_is_seeded_and_admins_edit_it_with_stable_codes(api):
    admin = await admin_token()
    ladder = (await api(GRADES, token=admin))["grades"]
    assert [(g["code"], g["rank"]) for g in ladder] == [("V1", 1), ("V2", 2), ("V3", 3)]

    created = (
        await api(
            CREATE,
            {
                "i": {
                    "code": "agent",
                    "name": "代理",
                    "rank": 10,
                    "description": "区域代理",
                    "rules": [{"directMembers": 20}, {"ownSales": "10000.00"}],
                }
            },
            token=admin,
        )
    )["createGrade"]
    assert created["errors"] == []
    assert created["grade"]["code"] == "AGENT" and [r["directMembersMin"] for r in created["grade"]["rules"]] == [
        20,
        None,
    ]

    before = (await api(GRADES, token=admin))["grades"]
    rules = await GradeRule.all().count()
    cases = [
        ({"code": "V2", "name": "重复", "rank": 50}, "DUPLICATE_GRADE_CODE", "code"),
        ({"code": "v2", "name": "重复", "rank": 50}, "DUPLICATE_GRADE_CODE", "code"),
        ({"code": "V9", "name": "同级", "rank": 3}, "DUPLICATE_GRADE_RANK", "rank"),
        ({"code": "9V", "name": "坏", "rank": 50}, "INVALID_INPUT", "code"),
        ({"code": "V9", "name": "", "rank": 50}, "INVALID_INPUT", "name"),
        ({"code": "V9", "name": "坏", "rank": 0}, "INVALID_INPUT", "rank"),
        ({"code": "V9", "name": "坏", "rank": 50, "rules": [{}]}, "INVALID_GRADE_RULE", "rules.0"),
        ({"code": "V9", "name": "坏", "rank": 50, "rules": [{"teamMembers": 0}]}, "INVALID_GRADE_RULE", "rules.0"),
    ]
    for data, code, field in cases:
        result = (await api(CREATE, {"i": data}, token=admin))["createGrade"]
        assert result == {"grade": None, "errors": [{"code": code, "field": at(field)}]}, data
    assert (
        await api(UPDATE, {"id": created["grade"]["id"], "i": {"code": "V1", "name": "x", "rank": 10}}, token=admin)
    )["updateGrade"]["errors"] == [{"code": "DUPLICATE_GRADE_CODE", "field": ["code"]}]
    assert (await api(UPDATE, {"id": gid("Grade", 999999), "i": {"code": "V7", "name": "x", "rank": 77}}, token=admin))[
        "updateGrade"
    ]["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    assert (await api(GRADES, token=admin))["grades"] == before and await GradeRule.all().count() == rules

    # rename and re-rank; the rules are replaced
    renamed = (
        await api(
            UPDATE,
            {
                "id": created["grade"]["id"],
                "i": {"code": "AGENT", "name": "区域代理", "rank": 9, "rules": [{"teamMembers": 100}]},
            },
            token=admin,
        )
    )["updateGrade"]
    assert renamed["errors"] == [] and renamed["grade"]["name"] == "区域代理" and len(renamed["grade"]["rules"]) == 1
    assert await GradeRule.all().count() == rules - 1

    # a grade in use keeps its code and cannot be deleted; an unused one can
    user = await make_user("持有者")
    assert (await api(SET, {"u": gid(user), "g": "AGENT", "r": "试点"}, token=admin))["setUserGrade"]["errors"] == []
    assert (await api(DELETE, {"id": created["grade"]["id"]}, token=admin))["deleteGrade"]["errors"] == [
        {"code": "GRADE_IN_USE", "field": ["id"]}
    ]
    assert (
        await api(UPDATE, {"id": created["grade"]["id"], "i": {"code": "AGENT2", "name": "x", "rank": 9}}, token=admin)
    )["updateGrade"]["errors"] == [{"code": "GRADE_IN_USE", "field": ["code"]}]
    v3 = next(g for g in ladder if g["code"] == "V3")
    assert (await api(DELETE, {"id": v3["id"]}, token=admin))["deleteGrade"] == {"deletedId": v3["id"], "errors": []}
    assert [g["code"] for g in (await api(GRADES, token=admin))["grades"]] == ["V1", "V2", "AGENT"]

    customer = await token_for(await make_user())
    assert await api.error_code(CREATE, {"i": {"code": "V8", "name": "x", "rank": 8}}, token=customer) == "FORBIDDEN"
    assert await Grade.filter(code="V8").count() == 0


# --------------------------------------------------------------------------- upgrades by rule


async def test_own_sales_upgrade_on_completion_with_progress_and_the_rule_that_fired(api):
    [rule_id] = await set_rules(api, "V1", {"ownSales": "100.00", "directMembers": 1})
    merchant, _, [sku] = await make_shop(price=6_000, stock=10)
    a, a_address = await member("阿A", wallet=100_000)
    await make_user("下线", upline=a)  # one direct member: the member threshold holds

    placed = await buy(api, a, a_address, sku.id, 1)
    mine_now = await my_grade(api, a)
    assert mine_now["grade"] is None and mine_now["next"] == {"code": "V1"} and mine_now["ownSales"]["amount"] == "0.00"
    [progress] = mine_now["progress"]
    assert progress["met"] is False and progress["ruleId"] == gid("GradeRule", rule_id)
    assert progress["requirements"][0] == {
        "kind": "OWN_SALES",
        "requiredAmount": {"amount": "100.00"},
        "currentAmount": {"amount": "0.00"},
        "missingAmount": {"amount": "100.00"},
        "requiredCount": None,
        "currentCount": None,
        "missingCount": None,
    }
    assert progress["requirements"][1]["missingCount"] == 0

    await finish(api, merchant, placed, a)  # 60.00 completed: still 40.00 missing
    assert await grade_of(a) == ""
    assert (await my_grade(api, a))["progress"][0]["requirements"][0]["missingAmount"] == {"amount": "40.00"}

    placed = await buy(api, a, a_address, sku.id, 1)
    await finish(api, merchant, placed, a)  # 120.00: V1 by the rule
    mine_now = await my_grade(api, a)
    assert mine_now["grade"] == "V1" and mine_now["current"] == {"code": "V1"} and mine_now["next"] == {"code": "V2"}
    assert mine_now["progress"] == []  # V2 has no rule: gift pack or admin only
    history = (await api(HISTORY, token=await token_for(a)))["gradeHistory"]["nodes"]
    assert history == [
        {
            "fromGrade": "",
            "toGrade": "V1",
            "source": "RULE",
            "ruleId": gid("GradeRule", rule_id),
            "reason": "",
            "referenceId": "",
        }
    ]


async def test_team_sales_upgrade_reaches_every_upline_within_three_levels(api):
    [rule_id] = await set_rules(api, "V2", {"teamSales": "50.00"})
    merchant, _, [sku] = await make_shop(price=5_000, stock=10)
    a, _ = await member("阿A")
    b, _ = await member("阿B", upline=a)
    c, _ = await member("阿C", upline=b)
    d, _ = await member("阿D", upline=c)
    e, e_address = await member("阿E", upline=d, wallet=100_000)  # A is 4 levels above E: outside A's team
    placed = await buy(api, e, e_address, sku.id, 1)
    assert [await grade_of(u) for u in (a, b, c, d, e)] == ["", "", "", "", ""]  # paid, not completed
    await finish(api, merchant, placed, e)
    assert [await grade_of(u) for u in (a, b, c, d, e)] == ["", "V2", "V2", "V2", ""]
    assert await GradeChange.filter(source="RULE", rule_id=rule_id).count() == 3
    assert (await my_grade(api, b))["teamSales"] == {"amount": "50.00"}


async def test_team_size_rules_fire_when_a_member_joins_and_the_highest_grade_wins(api):
    [direct_rule] = await set_rules(api, "V1", {"directMembers": 2})
    [team_rule] = await set_rules(api, "V3", {"teamMembers": 3})
    a = await make_user("阿A")
    b = await make_user("阿B", upline=a)
    assert await grade_of(a) == ""
    await make_user("阿C", upline=a)
    assert await grade_of(a) == "V1"
    await make_user("阿D", upline=b)  # team of 3 within three levels: straight to V3
    assert await grade_of(a) == "V3"
    rows = await GradeChange.filter(user_id=a.id).order_by("id").values_list("from_grade", "to_grade", "rule_id")
    assert rows == [("", "V1", direct_rule), ("V1", "V3", team_rule)]
    mine_now = await my_grade(api, a)
    assert (mine_now["directMembers"], mine_now["teamMembers"], mine_now["next"]) == (2, 3, None)


async def test_grades_never_go_down_automatically_and_gift_packs_never_lower(api):
    await set_rules(api, "V1", {"directMembers": 1})
    admin = await admin_token()
    a, a_address = await member("阿A", wallet=100_000)
    assert (await api(SET, {"u": gid(a), "g": "V3", "r": "老会员迁移"}, token=admin))["setUserGrade"]["errors"] == []
    await make_user("阿B", upline=a)  # V1's rule holds: V3 stays
    merchant, _, _ = await make_shop()
    from tests.catalog_factories import make_product
    from tests.catalog_factories import sku as sku_data

    pack = await make_product(
        merchant, title="V1 礼包", zone="GIFT_PACK", gift_grade="V1", skus=[sku_data(price=39_900)]
    )
    await buy(api, a, a_address, (await pack.skus.all())[0].id)
    assert await grade_of(a) == "V3"
    assert await GradeChange.filter(user_id=a.id).count() == 1
    await grades.evaluate_all()
    assert await grade_of(a) == "V3"


# --------------------------------------------------------------------------- admin


async def test_admin_sets_a_grade_with_a_reason_audited_and_bad_input_changes_nothing(api):
    admin_user = await make_user("admin", roles=("admin",))
    admin = await token_for(admin_user)
    user = await make_user("会员")
    cases = [
        ({"u": gid(user), "g": "V9", "r": "升级"}, "NOT_FOUND", "grade"),
        ({"u": gid(user), "g": "V2", "r": "  "}, "INVALID_INPUT", "reason"),
        ({"u": gid("User", 999999), "g": "V2", "r": "升级"}, "NOT_FOUND", "userId"),
    ]
    for variables, code, field in cases:
        assert (await api(SET, variables, token=admin))["setUserGrade"] == {
            "grade": None,
            "errors": [{"code": code, "field": at(field)}],
        }
    assert await UserGrade.filter(user_id=user.id).count() == 0 and await GradeChange.all().count() == 0

    assert (await api(SET, {"u": gid(user), "g": "v2", "r": "线下活动奖励"}, token=admin))["setUserGrade"] == {
        "grade": "V2",
        "errors": [],
    }
    assert (await api(SET, {"u": gid(user), "g": "V1", "r": "违规降级"}, token=admin))["setUserGrade"]["grade"] == "V1"
    rows = (
        await GradeChange.filter(user_id=user.id)
        .order_by("id")
        .values_list("from_grade", "to_grade", "source", "actor_id", "reason")
    )
    assert rows == [
        ("", "V2", "ADMIN", admin_user.id, "线下活动奖励"),
        ("V2", "V1", "ADMIN", admin_user.id, "违规降级"),
    ]
    history = (
        await api(
            "query($u: ID!) { userGradeHistory(userId: $u) { nodes { toGrade reason } } }",
            {"u": gid(user)},
            token=admin,
        )
    )["userGradeHistory"]["nodes"]
    assert history == [{"toGrade": "V1", "reason": "违规降级"}, {"toGrade": "V2", "reason": "线下活动奖励"}]
    customer = await token_for(user)
    assert await api.error_code(SET, {"u": gid(user), "g": "V3", "r": "x"}, token=customer) == "FORBIDDEN"
    assert await grade_of(user) == "V1"


# --------------------------------------------------------------------------- commission rates keyed on data grades


async def test_an_upgraded_users_downline_purchase_pays_the_grade_rate(api):
    admin = await admin_token()
    created = (
        await api(
            CREATE, {"i": {"code": "GOLD", "name": "金牌", "rank": 20, "rules": [{"directMembers": 1}]}}, token=admin
        )
    )["createGrade"]
    assert created["errors"] == []
    # the distribution settings accept the data grade, refuse an unknown one
    await configure(api, [("PERCENT", 1000)], grade_rules=[("GOLD", 1, "PERCENT", 2500)], token=admin)
    _, _, [sku] = await make_shop(price=10_000, stock=10)
    a, _ = await member("阿A")
    b, b_address = await member("阿B", wallet=100_000)
    await buy(api, b, b_address, sku.id)  # nobody above B yet
    from services.accounts import referral

    await referral.bind_upline(b, a.invite_code, source="ADMIN", actor_id=None, reason="test")
    assert await grade_of(a) == "GOLD"  # one direct member: the rule fired when B joined
    await buy(api, b, b_address, sku.id)
    assert [n["amount"]["amount"] for n in await mine(api, a)] == ["25.00"]  # GOLD's 25 %, not the level's 10 %
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- the worker job


async def test_the_job_upgrades_users_who_qualify_and_two_runs_at_once_record_each_change_once(api):
    a = await make_user("阿A")
    b = await make_user("阿B")
    for i in range(2):
        await make_user(f"A{i}", upline=a)
    await make_user("B0", upline=b)
    # the rule is added after the teams exist: only the job notices
    [rule_id] = await set_rules(api, "V2", {"directMembers": 2})
    assert await grade_of(a) == ""
    results = await asyncio.gather(grade_jobs.evaluate_grades(), grade_jobs.evaluate_grades())
    # only candidates (someone's upline, or a buyer of a completed order) are evaluated: A and B
    assert sorted(results) == ["evaluated 2 users, 0 upgraded", "evaluated 2 users, 1 upgraded"]
    assert (await grade_of(a), await grade_of(b)) == ("V2", "")
    assert await GradeChange.filter(user_id=a.id).values_list("source", "rule_id") == [("RULE", rule_id)]
    async with unit_of_work() as conn:  # a later evaluation finds nothing to do
        assert await grades.evaluate(a.id, conn) is None
