"""Finance reports (FIN-5) through GraphQL and the streamed CSV exports: platform revenue,
the commission ledger and activity totals from the journal; the journal CSV (keyset pages,
every entry once, in order); refusals (future range, non-admins, anonymous)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from models.ledger import JournalEntry
from services.core import clock
from services.core.business_days import business_day
from services.finance import settlement
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from tests.api.ops_settlement import APPROVE, REPORT, STATEMENTS
from tests.api.test_settlement import close_period, scenario
from tests.catalog_factories import make_merchant
from tests.helpers import make_user, token_for


async def extra_revenue(user_id: int) -> None:
    """What other features book on the platform's revenue: a consignment sale's fee (4.40 of
    22.00) and a withdrawal fee (3.00), posted as those features post them."""
    shop = await make_merchant(kind="SELF_OPERATED")
    budget = (await ledger.platform_account(Purpose.PROMOTION_EXPENSE)).id
    pending = (await ledger.get_account(MERCHANT, shop.id, Purpose.MERCHANT_PENDING)).id
    await ledger.post("TEST_CREDIT", [Posting(budget, -2200), Posting(pending, 2200)])
    seller = (await ledger.user_account(user_id, Purpose.CONSIGNMENT_PENDING)).id
    fee = (await ledger.platform_account(Purpose.FEE_REVENUE)).id
    await ledger.post("CONSIGNMENT_SALE", [Posting(pending, -2200), Posting(seller, 1760), Posting(fee, 440)])
    wallet = (await ledger.user_account(user_id, Purpose.WALLET)).id
    await ledger.post("TEST_CREDIT", [Posting(budget, -10000), Posting(wallet, 10000)])
    payout = (await ledger.platform_account(Purpose.PAYOUT_CLEARING)).id
    await ledger.post("WITHDRAWAL_PAID", [Posting(wallet, -10000), Posting(payout, 9700), Posting(fee, 300)])


async def money_moved(api) -> tuple[str, str, str]:
    """The settlement scenario, its statement approved, plus the extra revenue; returns the
    admin's token, the business day the orders were paid and the day (a settlement period
    later) the statement was approved and the extra revenue booked."""
    first = business_day(clock.now()).isoformat()
    merchant, _, _ = await scenario(api)
    await close_period()
    await settlement.issue_due()
    admin = await token_for(await make_user("finance", roles=("finance",)))
    statement = (await api(STATEMENTS, {}, token=admin))["settlementStatements"]["nodes"][0]
    assert (await api(APPROVE, {"id": statement["id"]}, token=admin))["approveSettlementStatement"]["errors"] == []
    await extra_revenue((await make_user("seller")).id)
    admin = await token_for(await make_user("finance", roles=("finance",)))
    return admin, first, business_day(clock.now()).isoformat()


def figures(items: list[dict]) -> dict[str, str]:
    return {f["name"]: f["amount"]["amount"] for f in items}


async def test_report_totals(api):
    admin, first, day = await money_moved(api)
    variables = {"p": "DAY", "from": first, "to": day}
    revenue = (await api(REPORT, {**variables, "k": "REVENUE"}, token=admin))["financeReport"]
    assert figures(revenue["totals"]) == {
        "consignment_fees": "4.40",
        "merchant_commissions": "20.00",
        "withdrawal_fees": "3.00",
        "other": "0.00",
        "total": "27.40",
    }
    # one bucket per day of the range; the revenue is all booked on the statement's day
    assert [b["start"] for b in revenue["buckets"]][-1] == day and len(revenue["buckets"]) > 1
    booked = [b for b in revenue["buckets"] if figures(b["figures"])["total"] != "0.00"]
    assert [b["start"] for b in booked] == [day]
    assert figures(booked[0]["figures"]) == figures(revenue["totals"])
    commissions = (await api(REPORT, {**variables, "k": "COMMISSIONS"}, token=admin))["financeReport"]
    assert figures(commissions["totals"]) == {
        "booked": "40.00",
        "funded_by_merchants": "40.00",
        "funded_by_platform": "0.00",
        "reversed": "10.00",
        "rejected": "0.00",
        "released": "0.00",
    }
    activity = (await api(REPORT, {**variables, "k": "ACTIVITY"}, token=admin))["financeReport"]
    assert figures(activity["totals"]) == {
        "consignment_sales": "22.00",
        "consignment_fees": "4.40",
        "consignment_rewards": "0.00",
        "consignment_settled": "0.00",
        "commissions_booked": "40.00",
        "commissions_reversed": "10.00",
        "commissions_released": "0.00",
        "merchant_settlements": "250.00",
    }
    # a month cut gives the same totals
    monthly = (await api(REPORT, {**variables, "k": "REVENUE", "p": "MONTH"}, token=admin))["financeReport"]
    assert figures(monthly["totals"]) == figures(revenue["totals"])
    assert await ledger.check_invariants() == []


async def test_future_period_and_non_admins_refused(api):
    admin = await token_for(await make_user("finance", roles=("finance",)))
    today = business_day(clock.now())
    future = {"k": "REVENUE", "p": "DAY", "from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    assert await api.error_code(REPORT, future, token=admin) == "INVALID_DATE_RANGE"
    someone = await token_for(await make_user("someone"))
    assert await api.error_code(REPORT, {**future, "to": today.isoformat()}, token=someone) == "FORBIDDEN"
    response = await api.client.get(
        "/exports/reports/revenue.csv",
        params={"period": "DAY", "from": future["from"], "to": future["to"]},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert response.status_code == 400 and response.json()["error"] == "INVALID_DATE_RANGE"


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_journal_csv_streams_every_entry_once(api, monkeypatch):
    admin, first, day = await money_moved(api)
    monkeypatch.setattr("settings.CSV_EXPORT_CHUNK_ROWS", 3)  # many keyset pages
    response = await api.client.get(
        "/exports/journal.csv", params={"from": first, "to": day}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = parse(response.text)
    assert rows[0] == [
        "entry_id",
        "created_at",
        "transaction_id",
        "kind",
        "reference_type",
        "reference_id",
        "account_id",
        "owner_type",
        "owner_id",
        "purpose",
        "currency",
        "amount",
        "balance_after",
    ]
    body = rows[1:]
    entries = await JournalEntry.all().order_by("id").values_list("id", "amount", "balance_after", "transaction__kind")
    assert [int(r[0]) for r in body] == [e[0] for e in entries]
    for row, (_, amount, after, kind) in zip(body, entries):
        assert row[3] == kind
        assert row[11] == f"{amount / 100:.2f}" and row[12] == f"{after / 100:.2f}"
    approval = [r for r in body if r[3] == settlement.APPROVAL_KIND]
    assert sorted(r[9] for r in approval) == ["COMMISSION_REVENUE", "MERCHANT_PENDING", "MERCHANT_SETTLED"]
    # a range with nothing in it: the header alone
    empty = await api.client.get(
        "/exports/journal.csv",
        params={"from": "2024-01-01", "to": "2024-01-02"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert parse(empty.text)[1:] == []


async def test_report_csv(api):
    admin, _, day = await money_moved(api)  # the revenue is all booked on the last day
    response = await api.client.get(
        "/exports/reports/revenue.csv",
        params={"period": "DAY", "from": day, "to": day},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert response.status_code == 200
    assert parse(response.text) == [
        ["first_day", "last_day", "consignment_fees", "merchant_commissions", "withdrawal_fees", "other", "total"],
        [day, day, "4.40", "20.00", "3.00", "0.00", "27.40"],
        ["total", "", "4.40", "20.00", "3.00", "0.00", "27.40"],
    ]


async def test_csv_routes_refuse_non_admins(api):
    merchant = await make_merchant()
    owner = await token_for(await merchant.owner)
    for path in ("/exports/journal.csv", "/exports/reports/commissions.csv?period=DAY&from=2026-01-01&to=2026-01-02"):
        anonymous = await api.client.get(path)
        assert anonymous.status_code == 401 and anonymous.json()["error"] == "UNAUTHENTICATED"
        refused = await api.client.get(path, headers={"Authorization": f"Bearer {owner}"})
        assert refused.status_code == 403 and refused.json()["error"] == "FORBIDDEN"
        bad = await api.client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401
