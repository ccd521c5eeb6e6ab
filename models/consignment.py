"""Consignment resale (挂售, CON-1..9): vouchers, wholesale units, the public queue per
wholesale product, and snap-up sessions.

A wholesale unit bought with a voucher is one `WholesaleUnit` row: held (undecided), for
self-pickup, or consigned into its product's queue. Queue order is `queue_key`: the tail
gets the next sequence number; a unit returned after a refund gets a key below every
tail key, in its original order among returned units (services.consignment.queue.returned_key).
"""

from tortoise import fields
from tortoise.models import Model


class Voucher(Model):
    """One wholesale voucher (批发券): the right to buy one wholesale unit."""

    id = fields.BigIntField(primary_key=True)
    owner = fields.ForeignKeyField("models.User", related_name="vouchers", on_delete=fields.RESTRICT)
    kind = fields.CharField(max_length=16, default="WHOLESALE")  # WHOLESALE (1.0) / DISCOUNT (2.0, member zone)
    scope_product_id = fields.BigIntField(null=True)  # the wholesale product it is for; null: any
    # UNUSED -> RESERVED (an unpaid wholesale order holds it) -> USED; RESERVED -> UNUSED on cancel;
    # USED -> UNUSED when the wholesale unit is refunded before consignment; UNUSED -> EXPIRED / REVOKED
    status = fields.CharField(max_length=16, default="UNUSED", db_index=True)
    source_line_id = fields.BigIntField(null=True, db_index=True)  # the retail / member line that granted it
    used_line_id = fields.BigIntField(null=True, db_index=True)  # the wholesale line that uses it
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "voucher"
        indexes = (("owner_id", "status", "expires_at"),)


class ConsignmentQueue(Model):
    """One per wholesale product: its lock row and key counters."""

    id = fields.BigIntField(primary_key=True)
    product = fields.OneToOneField("models.Product", related_name="consignment_queue", on_delete=fields.CASCADE)
    next_key = fields.BigIntField(default=1)  # the tail's next key
    head_key = fields.BigIntField(default=1)  # the lowest key given so far (returned units' keys are below 1)

    class Meta:
        table = "consignment_queue"


class ConsignmentPolicy(Model):
    """Per wholesale product overrides of the consignment fee and reward (settings otherwise)."""

    id = fields.BigIntField(primary_key=True)
    product = fields.OneToOneField("models.Product", related_name="consignment_policy", on_delete=fields.CASCADE)
    fee_bp = fields.IntField(null=True)  # basis points of the retail price
    reward_kind = fields.CharField(max_length=8, null=True)  # FIXED / PERCENT
    reward_value = fields.BigIntField(null=True)  # fen (FIXED) or basis points (PERCENT)
    updated_by_id = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "consignment_policy"


class WholesaleUnit(Model):
    """One unit bought in the wholesale zone, and what became of it."""

    id = fields.BigIntField(primary_key=True)
    owner = fields.ForeignKeyField("models.User", related_name="wholesale_units", on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField("models.Product", related_name="wholesale_units", on_delete=fields.RESTRICT)
    order_line = fields.ForeignKeyField(
        "models.OrderLine", related_name="wholesale_units", on_delete=fields.RESTRICT, db_index=True
    )
    cost = fields.BigIntField()  # wholesale price paid
    # HELD (undecided) -> PICKUP | QUEUED; QUEUED -> MATCHED (sold, proceeds frozen) -> SETTLED (available);
    # MATCHED -> QUEUED (the retail sale was refunded: back to the head); QUEUED -> PICKUP (cancelled);
    # HELD / PICKUP -> REFUNDED (the wholesale purchase was refunded)
    status = fields.CharField(max_length=16, default="HELD", db_index=True)
    queue_key = fields.BigIntField(null=True)
    consigned_at = fields.DatetimeField(null=True, db_index=True)  # statistics
    matched_line_id = fields.BigIntField(null=True, db_index=True)  # the retail line it was sold to
    matched_order_id = fields.BigIntField(null=True, db_index=True)
    buyer_id = fields.BigIntField(null=True)  # the retail buyer
    sale_price = fields.BigIntField(null=True)
    fee = fields.BigIntField(null=True)
    reward = fields.BigIntField(null=True)
    matched_at = fields.DatetimeField(null=True, db_index=True)  # statistics
    settled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wholesale_unit"
        indexes = (("product_id", "status", "queue_key"), ("owner_id", "status"))


class SnapUpSession(Model):
    """A timed wholesale snap-up (抢购, CON-7): limited units, voucher holders compete."""

    id = fields.BigIntField(primary_key=True)
    product = fields.ForeignKeyField(
        "models.Product", related_name="snapup_sessions", on_delete=fields.RESTRICT, db_index=True
    )
    sku = fields.ForeignKeyField("models.Sku", related_name="snapup_sessions", on_delete=fields.RESTRICT, db_index=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)  # the job that closes ended sessions
    units = fields.IntField()
    remaining = fields.IntField()
    consolation_coins = fields.BigIntField(default=0)  # coins for a holder who misses out
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "snapup_session"


class SnapUpEntry(Model):
    id = fields.BigIntField(primary_key=True)
    session = fields.ForeignKeyField("models.SnapUpSession", related_name="entries", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="snapup_entries", on_delete=fields.CASCADE, db_index=True)
    result = fields.CharField(max_length=8)  # WON / LOST / FORFEIT (won, order cancelled)
    order_id = fields.BigIntField(null=True, db_index=True)  # WON: the wholesale order to pay (read on its cancel)
    coins = fields.BigIntField(default=0)  # LOST: coins granted
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "snapup_entry"
        unique_together = (("session", "user"),)
