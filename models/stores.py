"""Offline store cards (STO-2, STO-3): a merchant's stored-value member cards and the punch
cards sold as redeemable goods. Balances here are mirrors of the ledger (services.stores):
each changes only in the unit of work that posts the journal transaction justifying it."""

from tortoise import fields
from tortoise.models import Model


class MemberCardPlan(Model):
    """A merchant's member card (门店会员卡): where it is accepted and its top-up rules."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="member_card_plans", on_delete=fields.RESTRICT, db_index=True
    )
    # null: accepted in every store of the merchant; else in this store only
    store = fields.ForeignKeyField(
        "models.Store", related_name="member_card_plans", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=64)
    # [[top-up amount from, bonus], ...] in fen, ascending: the highest tier reached applies
    top_up_rules = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member_card_plan"


class MemberCard(Model):
    """One customer's card of a plan: principal (money paid in) and bonus (given) apart."""

    id = fields.BigIntField(primary_key=True)
    plan = fields.ForeignKeyField("models.MemberCardPlan", related_name="cards", on_delete=fields.RESTRICT)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="member_cards", on_delete=fields.RESTRICT, db_index=True
    )
    holder = fields.ForeignKeyField(
        "models.User", related_name="member_cards", on_delete=fields.RESTRICT, db_index=True
    )
    card_no = fields.CharField(max_length=32, unique=True)
    principal = fields.BigIntField(default=0)  # fen
    bonus = fields.BigIntField(default=0)  # fen
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE / REFUNDED
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member_card"
        unique_together = (("plan", "holder"),)


class MemberCardEntry(Model):
    """A line of a card's statement: what changed, principal and bonus apart, and what is left."""

    id = fields.BigIntField(primary_key=True)
    card = fields.ForeignKeyField("models.MemberCard", related_name="entries", on_delete=fields.RESTRICT, db_index=True)
    kind = fields.CharField(max_length=16)  # TOP_UP / SPEND / REFUND
    principal = fields.BigIntField()  # signed fen
    bonus = fields.BigIntField()  # signed fen
    principal_after = fields.BigIntField()
    bonus_after = fields.BigIntField()
    store = fields.ForeignKeyField(
        "models.Store", related_name="member_card_entries", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    order = fields.ForeignKeyField(
        "models.Order", related_name="member_card_entries", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    transaction_id = fields.BigIntField(null=True)  # the journal transaction (top-up, refund)
    idempotency_key = fields.CharField(max_length=64, null=True)
    request_hash = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member_card_entry"
        unique_together = (("card", "idempotency_key"),)


class PunchCardTerms(Model):
    """What one unit of a REDEEMABLE product sold as a punch card (次卡) holds."""

    id = fields.BigIntField(primary_key=True)
    product = fields.OneToOneField("models.Product", related_name="punch_card_terms", on_delete=fields.CASCADE)
    uses = fields.IntField()  # uses per unit bought
    valid_days = fields.IntField()  # from payment
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "punch_card_terms"


class PunchCard(Model):
    """A customer's punch card: bought as an order line, its price held as the merchant's
    unearned income and recognised use by use."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="punch_cards", on_delete=fields.RESTRICT, db_index=True)
    line = fields.OneToOneField("models.OrderLine", related_name="punch_card", on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField(
        "models.Product", related_name="punch_cards", on_delete=fields.RESTRICT, db_index=True
    )
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="punch_cards", on_delete=fields.RESTRICT, db_index=True
    )
    holder = fields.ForeignKeyField("models.User", related_name="punch_cards", on_delete=fields.RESTRICT, db_index=True)
    title = fields.CharField(max_length=128)
    uses_total = fields.IntField()
    uses_used = fields.IntField(default=0)
    price = fields.BigIntField()  # what was paid for it (the line's amount), fen
    earned = fields.BigIntField(default=0)  # recognised so far, fen
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE / USED_UP / REFUNDED
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "punch_card"


class PunchCardCode(Model):
    """A one-time code the customer's phone shows for one use, and once redeemed the use's record."""

    id = fields.BigIntField(primary_key=True)
    card = fields.ForeignKeyField("models.PunchCard", related_name="codes", on_delete=fields.RESTRICT, db_index=True)
    code = fields.CharField(max_length=16, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    store = fields.ForeignKeyField(
        "models.Store", related_name="punch_card_uses", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    redeemed_by_id = fields.BigIntField(null=True)
    earned = fields.BigIntField(default=0)  # income recognised by this use, fen
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "punch_card_code"


class StorePaymentRequest(Model):
    """An amount the cashier entered at a store for a customer to confirm and pay (STO-1)."""

    id = fields.BigIntField(primary_key=True)
    store = fields.ForeignKeyField(
        "models.Store", related_name="payment_requests", on_delete=fields.RESTRICT, db_index=True
    )
    amount = fields.BigIntField()  # fen
    note = fields.CharField(max_length=64, default="")
    created_by = fields.ForeignKeyField(
        "models.User", related_name="store_payment_requests", on_delete=fields.RESTRICT, db_index=True
    )
    status = fields.CharField(max_length=16, default="OPEN")  # OPEN / PAID / CANCELLED
    # the customer's order paying it: set when the order is written (the wallet and a card pay it
    # at once; a gateway payment holds the request until it is paid or its order is cancelled)
    order = fields.ForeignKeyField(
        "models.Order", related_name="payment_requests", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store_payment_request"
