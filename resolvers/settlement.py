"""Merchant settlement (FIN-4) and finance reports (FIN-5)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.pagination import Connection, to_connection
from schema.types.consignment_stats import StatsPeriod
from schema.types.settlement import (
    FinanceReport,
    FinanceReportKind,
    SettlementStatement,
    StatementPayload,
    StatementStatus,
)
from services.core.pagination import paginate
from services.finance import reports, settlement


def _statement(row, names: dict[int, str]) -> SettlementStatement:
    return SettlementStatement(row=row, merchant_name=names.get(row.merchant_id, ""))


async def _names(rows) -> dict[int, str]:
    from models.merchants import Merchant

    ids = {r.merchant_id for r in rows}
    return dict(await Merchant.filter(id__in=ids).values_list("id", "name")) if ids else {}


@strawberry.type
class SettlementQueries:
    @strawberry.field(
        description="Settlement statements, newest first: one merchant's (its staff with merchant.finance, or "
        "settlement.manage; another merchant's are FORBIDDEN); without merchantId, every merchant's for "
        "settlement.manage, else those of the merchants where I hold merchant.finance.",
        extensions=login_required(),
    )
    @api_errors
    async def settlement_statements(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this merchant's.")] = None,
        status: Annotated[
            StatementStatus | None, strawberry.argument(description="Only statements in this state.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[SettlementStatement]:
        mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS) if merchant_id is not None else None
        qs = settlement.statements(await info.context.grants(), mid, status.value if status else None)
        page = await paginate(qs, first, after)
        names = await _names(page.items)
        return to_connection(page, lambda r: _statement(r, names))

    @strawberry.field(
        description="One statement with its lines (its merchant's finance staff, or settlement.manage); "
        "another merchant's is NOT_FOUND.",
        extensions=login_required(),
    )
    @api_errors
    async def settlement_statement(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The statement.")]
    ) -> SettlementStatement:
        row = await settlement.statement_for(await info.context.grants(), parse_id(id, "id", of="SettlementStatement"))
        return _statement(row, await _names([row]))

    @strawberry.field(
        description="A finance report by day, week or month (report.read): REVENUE — consignment_fees, "
        "merchant_commissions (approved statements), withdrawal_fees, other, total; COMMISSIONS — booked, "
        "funded_by_merchants, funded_by_platform, reversed, rejected, released; ACTIVITY — consignment_sales, "
        "consignment_fees, consignment_rewards, consignment_settled, commissions_booked, commissions_reversed "
        "(with rejected), commissions_released, merchant_settlements (these three from the journal); DISCOUNTS — "
        "coupons_by_platform, coupons_by_merchants, promotions_by_platform, promotions_by_merchants, "
        "shipping_by_platform, shipping_by_merchants, coins, by_platform, by_merchants, total (the discounts of "
        "the orders paid each day, gross at payment). Business days (UTC+8). "
        "A range reversed, ending after today or too long is INVALID_DATE_RANGE. CSV: "
        "GET /exports/reports/{revenue|commissions|activity|discounts}.csv?period=&from=&to=.",
        extensions=requires("report.read"),
    )
    @api_errors
    async def finance_report(
        self,
        kind: Annotated[FinanceReportKind, strawberry.argument(description="Which report.")],
        period: Annotated[StatsPeriod, strawberry.argument(description="How to cut the range.")],
        from_: Annotated[date, strawberry.argument(name="from", description="First day, inclusive.")],
        to: Annotated[date, strawberry.argument(description="Last day, inclusive (today at the latest).")],
    ) -> FinanceReport:
        found, totals = await reports.report(kind.value, period.value, from_, to)
        return FinanceReport.build(kind, period, from_, to, found, totals, reports.COLUMNS[kind.value])


@strawberry.type
class SettlementMutations:
    @strawberry.mutation(
        description="Approve an issued statement (settlement.manage): books one journal transaction moving "
        "the platform commission to the platform and the net payable to the merchant's settled balance. "
        "Approving again changes nothing.",
        extensions=requires("settlement.manage"),
    )
    @payload_errors
    async def approve_settlement_statement(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The statement.")]
    ) -> StatementPayload:
        row = await settlement.approve(
            await info.context.grants(), viewer(info).id, parse_id(id, "id", of="SettlementStatement")
        )
        return StatementPayload(statement=_statement(row, await _names([row])))
