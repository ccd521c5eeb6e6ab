"""Merchant settlement (FIN-4): periodic statements computed from the ledger, their lines
(one per order), and the platform commission charged on each order line (kept so that a
refund gives back exactly the commission charged, at the rate of the day it was charged)."""

from tortoise import fields
from tortoise.models import Model


class SettlementStatement(Model):
    """One merchant's statement for one period. Immutable once issued, except its status
    (ISSUED -> APPROVED) and the approval's bookkeeping columns."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField("models.Merchant", related_name="statements", on_delete=fields.RESTRICT)
    period_start = fields.DateField()  # first business day of the period
    period_end = fields.DateField()  # first business day after the period
    status = fields.CharField(max_length=16, default="ISSUED", db_index=True)  # ISSUED / APPROVED
    # The journal entries of the merchant's MERCHANT_PENDING account it covers: ids in
    # (after_entry_id, last_entry_id], booked before the period's end.
    after_entry_id = fields.BigIntField(default=0)
    last_entry_id = fields.BigIntField(default=0)
    entry_count = fields.IntField(default=0)
    # Figures, fen. net_payable = paid_goods - refunds - platform_commission - distribution
    #   - consignment - other; platform_commission = commission_charged - commission_returned;
    #   distribution = distribution_booked - distribution_reversed.
    paid_goods = fields.BigIntField(default=0)
    refunds = fields.BigIntField(default=0)
    commission_charged = fields.BigIntField(default=0)
    commission_returned = fields.BigIntField(default=0)
    platform_commission = fields.BigIntField(default=0)
    distribution_booked = fields.BigIntField(default=0)
    distribution_reversed = fields.BigIntField(default=0)
    consignment = fields.BigIntField(default=0)  # retail price handed to consignment sellers (net of reversals)
    other = fields.BigIntField(default=0)  # any other movement of the pending account (debit positive)
    net_payable = fields.BigIntField(default=0)
    transaction_id = fields.BigIntField(null=True)  # the approval's journal transaction
    approved_by_id = fields.BigIntField(null=True)
    approved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "settlement_statement"
        unique_together = (("merchant_id", "period_start"),)


class SettlementLine(Model):
    """A statement's figures for one order (order_id null: movements tied to no order)."""

    id = fields.BigIntField(primary_key=True)
    statement = fields.ForeignKeyField("models.SettlementStatement", related_name="lines", on_delete=fields.CASCADE)
    order_id = fields.BigIntField(null=True)
    order_no = fields.CharField(max_length=32, default="")
    paid_goods = fields.BigIntField(default=0)
    refunds = fields.BigIntField(default=0)
    platform_commission = fields.BigIntField(default=0)
    distribution = fields.BigIntField(default=0)
    consignment = fields.BigIntField(default=0)
    other = fields.BigIntField(default=0)
    net_payable = fields.BigIntField(default=0)

    class Meta:
        table = "settlement_line"
        indexes = (("statement_id", "id"),)


class SettlementCharge(Model):
    """The platform commission charged on one order line, by the statement of its payment."""

    id = fields.BigIntField(primary_key=True)
    line_id = fields.BigIntField(unique=True)
    statement_id = fields.BigIntField(db_index=True)
    merchant_id = fields.BigIntField()
    rate_bp = fields.IntField()
    goods = fields.BigIntField()
    commission = fields.BigIntField()

    class Meta:
        table = "settlement_charge"
