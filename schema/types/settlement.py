"""Merchant settlement (FIN-4) and finance report (FIN-5) types."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated

import strawberry

from models import settlement as m
from schema.errors import UserError, api_error
from schema.money import Money
from schema.node import Node, encode, node_id
from schema.pagination import Connection, to_connection
from schema.types.consignment_stats import StatsPeriod
from services.core.errors import DomainError
from services.finance import settlement


@strawberry.enum(
    description="A statement's state: ISSUED (computed for a closed period, immutable), APPROVED (its money "
    "was booked: platform commission to the platform, the net to the merchant's settled balance)."
)
class StatementStatus(Enum):
    ISSUED = strawberry.enum_value(
        "ISSUED", description="Computed for a closed period; immutable, waiting for approval."
    )
    APPROVED = strawberry.enum_value(
        "APPROVED",
        description="Booked: the platform's commission to the platform, the net to the merchant's settled balance.",
    )


@strawberry.type(description="A statement's figures for one order (or, without an order, movements tied to none).")
class SettlementLine:
    row: strawberry.Private[m.SettlementLine]

    @strawberry.field(description="The order, if any.")
    def order_id(self) -> strawberry.ID | None:
        return encode("Order", self.row.order_id) if self.row.order_id else None

    @strawberry.field(description="The order's number, if any.")
    def order_no(self) -> str | None:
        return self.row.order_no or None

    @strawberry.field(description="Paid (goods and shipping) credited to the merchant in this statement.")
    def paid_goods(self) -> Money:
        return Money.from_fen(self.row.paid_goods)

    @strawberry.field(description="Refunded to the buyer in this statement.")
    def refunds(self) -> Money:
        return Money.from_fen(self.row.refunds)

    @strawberry.field(description="Platform commission: charged on the goods paid, less what refunds gave back.")
    def platform_commission(self) -> Money:
        return Money.from_fen(self.row.platform_commission)

    @strawberry.field(description="Distribution commissions funded by the merchant, less their reversals.")
    def distribution(self) -> Money:
        return Money.from_fen(self.row.distribution)

    @strawberry.field(description="Retail price handed to consignment sellers (net of reversals).")
    def consignment(self) -> Money:
        return Money.from_fen(self.row.consignment)

    @strawberry.field(description="Net payable to the merchant for this order in this statement (may be negative).")
    def net_payable(self) -> Money:
        return Money.from_fen(self.row.net_payable)


@strawberry.type(
    description="A merchant's settlement statement for one period, computed from the ledger. Immutable once "
    "issued: anything booked later for that period (a late refund) is in the next statement."
)
class SettlementStatement(Node):
    row: strawberry.Private[m.SettlementStatement]
    merchant_name: str = strawberry.field(description="The merchant's name.")

    id: strawberry.ID = node_id("SettlementStatement", "row.id", description="The statement's id.")

    @strawberry.field(description="The merchant.")
    def merchant_id(self) -> strawberry.ID:
        return encode("Merchant", self.row.merchant_id)

    @strawberry.field(description="First business day of the period.")
    def period_start(self) -> date:
        return self.row.period_start

    @strawberry.field(description="Last business day of the period.")
    def period_end(self) -> date:
        return self.row.period_end - timedelta(days=1)

    @strawberry.field(description="ISSUED or APPROVED.")
    def status(self) -> StatementStatus:
        return StatementStatus(self.row.status)

    @strawberry.field(description="Journal entries of the merchant's pending account this statement covers.")
    def entry_count(self) -> int:
        return self.row.entry_count

    @strawberry.field(description="Paid (goods and shipping) credited to the merchant.")
    def paid_goods(self) -> Money:
        return Money.from_fen(self.row.paid_goods)

    @strawberry.field(description="Refunded to buyers.")
    def refunds(self) -> Money:
        return Money.from_fen(self.row.refunds)

    @strawberry.field(
        description="Platform commission charged on the goods paid (rate per category, rounded down per line)."
    )
    def commission_charged(self) -> Money:
        return Money.from_fen(self.row.commission_charged)

    @strawberry.field(description="Platform commission given back on refunded goods.")
    def commission_returned(self) -> Money:
        return Money.from_fen(self.row.commission_returned)

    @strawberry.field(description="Platform commission: charged less returned.")
    def platform_commission(self) -> Money:
        return Money.from_fen(self.row.platform_commission)

    @strawberry.field(description="Distribution commissions funded by the merchant.")
    def distribution_booked(self) -> Money:
        return Money.from_fen(self.row.distribution_booked)

    @strawberry.field(description="Distribution commissions given back to the merchant (refunds, risk review).")
    def distribution_reversed(self) -> Money:
        return Money.from_fen(self.row.distribution_reversed)

    @strawberry.field(description="Retail price handed to consignment sellers (net of reversals).")
    def consignment(self) -> Money:
        return Money.from_fen(self.row.consignment)

    @strawberry.field(description="Other movements of the merchant's pending account (debits positive).")
    def other(self) -> Money:
        return Money.from_fen(self.row.other)

    @strawberry.field(
        description="Net payable: paid − refunds − platform commission − distribution (net) − consignment − other."
    )
    def net_payable(self) -> Money:
        return Money.from_fen(self.row.net_payable)

    @strawberry.field(description="When it was issued.")
    def issued_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="When it was approved.")
    def approved_at(self) -> datetime | None:
        return self.row.approved_at

    @strawberry.field(description="The approval's journal transaction.")
    def transaction_id(self) -> strawberry.ID | None:
        return strawberry.ID(str(self.row.transaction_id)) if self.row.transaction_id else None

    @strawberry.field(description="The statement's lines, one per order, by order id.")
    async def lines(
        self,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[SettlementLine]:
        try:
            page = await settlement.line_page(self.row, first, after)
        except DomainError as exc:
            raise api_error(exc) from exc
        return to_connection(page, lambda r: SettlementLine(row=r))


@strawberry.type(description="The result of approving a statement.")
class StatementPayload:
    statement: SettlementStatement | None = strawberry.field(description="The statement.", default=None)
    errors: list[UserError] = strawberry.field(description="Why nothing was done.", default_factory=list)


# --------------------------------------------------------------------------- reports


@strawberry.enum(
    description="A finance report: REVENUE (platform revenue), COMMISSIONS (the commission ledger), ACTIVITY "
    "(consignment and distribution totals)."
)
class FinanceReportKind(Enum):
    REVENUE = strawberry.enum_value("REVENUE", description="Platform revenue.")
    COMMISSIONS = strawberry.enum_value("COMMISSIONS", description="The commission ledger.")
    ACTIVITY = strawberry.enum_value("ACTIVITY", description="Consignment and distribution totals.")
    DISCOUNTS = strawberry.enum_value(
        "DISCOUNTS",
        description="What the discounts of the orders paid each day cost, by source (coupons, promotions, "
        "free shipping, coins) and by funder (platform, merchants); gross at payment.",
    )


@strawberry.type(description="One named figure of a report.")
class ReportFigure:
    name: str = strawberry.field(description="What it is, e.g. consignment_fees (see the report's description).")
    amount: Money = strawberry.field(description="The amount.")


@strawberry.type(description="A report's figures over one day, week or month of the requested range.")
class FinanceReportBucket:
    start: date = strawberry.field(description="First day of the bucket (clipped to the range).")
    end: date = strawberry.field(description="Last day of the bucket (clipped to the range).")
    figures: list[ReportFigure] = strawberry.field(description="The report's figures, in its column order.")


@strawberry.type(description="A finance report over a range of business days (UTC+8), cut by day, week or month.")
class FinanceReport:
    kind: FinanceReportKind = strawberry.field(description="Which report.")
    period: StatsPeriod = strawberry.field(description="How the range is cut.")
    start: date = strawberry.field(description="First day of the range.")
    end: date = strawberry.field(description="Last day of the range.")
    columns: list[str] = strawberry.field(description="The figures' names, in order (also the CSV export's columns).")
    buckets: list[FinanceReportBucket] = strawberry.field(description="One per day, week or month.")
    totals: list[ReportFigure] = strawberry.field(description="The whole range.")

    @classmethod
    def build(
        cls, kind: FinanceReportKind, period: StatsPeriod, start: date, end: date, found, totals, columns
    ) -> FinanceReport:
        def figures(values: dict) -> list[ReportFigure]:
            return [ReportFigure(name=c, amount=Money.from_fen(values[c])) for c in columns]

        return cls(
            kind=kind,
            period=period,
            start=start,
            end=end,
            columns=list(columns),
            buckets=[FinanceReportBucket(start=b.first, end=b.last, figures=figures(b.figures)) for b in found],
            totals=figures(totals),
        )
