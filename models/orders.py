"""Cart, orders, payments, shipping, after-sales and refunds (ORD-1..8).

One checkout makes one Payment covering one Order per merchant. Amounts are fen. Order
lines keep a snapshot of what was bought (title, spec, price) so later catalog edits do
not rewrite history. Status columns change only through the transition tables in
services.orders.states, by conditional UPDATEs.
"""

from tortoise import fields
from tortoise.models import Model

from models.sealed import Sealed, SealedModel


class CartItem(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="cart_items", on_delete=fields.CASCADE)
    sku = fields.ForeignKeyField("models.Sku", related_name="cart_items", on_delete=fields.CASCADE, db_index=True)
    quantity = fields.IntField()
    selected = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cart_item"
        unique_together = (("user", "sku"),)


class CartShare(Model):
    """A snapshot of a cart's items that another signed-in user can import by code."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    user = fields.ForeignKeyField("models.User", related_name="cart_shares", on_delete=fields.CASCADE, db_index=True)
    items = fields.JSONField(default=list)  # [{"sku_id": 1, "quantity": 2}]
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cart_share"


class Payment(Model):
    """What the buyer pays for one checkout: the sum of its orders."""

    id = fields.BigIntField(primary_key=True)
    payment_no = fields.CharField(max_length=32, unique=True)  # out_trade_no at the gateway
    buyer = fields.ForeignKeyField("models.User", related_name="payments", on_delete=fields.RESTRICT)
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=8, default="CNY")
    # UNPAID -> PAID | CLOSED (cancelled or timed out)
    status = fields.CharField(max_length=16, default="UNPAID", db_index=True)
    method = fields.CharField(max_length=16, default="")  # WALLET / SANDBOX / ... once paid or started
    gateway_trade_no = fields.CharField(max_length=64, default="")
    expires_at = fields.DatetimeField(db_index=True)
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    refunded_amount = fields.BigIntField(default=0)
    idempotency_key = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment"
        unique_together = (("buyer", "idempotency_key"),)


class Order(SealedModel, Model):
    id = fields.BigIntField(primary_key=True)
    order_no = fields.CharField(max_length=32, unique=True)
    payment = fields.ForeignKeyField("models.Payment", related_name="orders", on_delete=fields.RESTRICT, db_index=True)
    buyer = fields.ForeignKeyField("models.User", related_name="orders", on_delete=fields.RESTRICT)
    merchant = fields.ForeignKeyField("models.Merchant", related_name="orders", on_delete=fields.RESTRICT)
    status = fields.CharField(max_length=24, default="PENDING_PAYMENT", db_index=True)
    delivery_type = fields.CharField(max_length=16)  # EXPRESS / PICKUP
    address = fields.JSONField(null=True)  # snapshot of the buyer's address (EXPRESS), without the phone
    address_phone_cipher = fields.CharField(max_length=255, null=True)  # the snapshot's phone, encrypted
    address_phone = Sealed()
    store = fields.ForeignKeyField("models.Store", related_name="orders", null=True, on_delete=fields.RESTRICT)
    pickup_code = fields.CharField(max_length=12, null=True)
    goods_amount = fields.BigIntField()
    shipping_fee = fields.BigIntField(default=0)
    # What the pricing pipeline took off (services.marketing.pipeline): the goods' discounts
    # (promotions, coupons), the shipping's, the coins used, and the part of those the
    # platform funds (credited to the merchant at payment from PROMOTION_EXPENSE).
    discount_amount = fields.BigIntField(default=0, db_default=0)
    shipping_discount = fields.BigIntField(default=0, db_default=0)
    coins = fields.BigIntField(default=0, db_default=0)  # shopping coins spent (a count, ledger currency COIN)
    coins_amount = fields.BigIntField(default=0, db_default=0)  # what they paid, fen
    platform_funded = fields.BigIntField(default=0, db_default=0)
    # MKT-4 points mall: the points the order costs (its lines' and, when the buyer chose so, its
    # shipping's), taken from the buyer's POINTS account when the payment is taken
    points = fields.BigIntField(default=0, db_default=0)
    shipping_points = fields.BigIntField(default=0, db_default=0)  # part of `points`: the shipping
    # goods + shipping - discount_amount - shipping_discount - coins_amount: what the buyer pays
    pay_amount = fields.BigIntField()
    refunded_amount = fields.BigIntField(default=0)
    currency = fields.CharField(max_length=8, default="CNY")
    note = fields.CharField(max_length=256, default="")
    paid_at = fields.DatetimeField(null=True, db_index=True)  # statistics group by it
    shipped_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    ready_at = fields.DatetimeField(null=True)
    picked_up_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=256, default="")
    auto_complete_at = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "orders"
        unique_together = (("store", "pickup_code"),)
        # (buyer_id, paid_at): a team's paid orders in a date range (services.distribution.centre):
        # without it PostgreSQL's generic plan read every order paid in the range (bench/growth.py)
        indexes = (("buyer_id", "created_at"), ("merchant_id", "created_at"), ("buyer_id", "paid_at"))


class OrderLine(Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="lines", on_delete=fields.CASCADE, db_index=True)
    product = fields.ForeignKeyField(
        "models.Product", related_name="order_lines", on_delete=fields.RESTRICT, db_index=True
    )
    sku = fields.ForeignKeyField("models.Sku", related_name="order_lines", on_delete=fields.RESTRICT, db_index=True)
    title = fields.CharField(max_length=128)
    spec_text = fields.CharField(max_length=256, default="")
    image_url = fields.CharField(max_length=512, default="")
    zone = fields.CharField(max_length=16)
    unit_price = fields.BigIntField()
    quantity = fields.IntField()
    # What the buyer paid for the line's goods: unit_price * quantity - discount_amount - coins_amount.
    # The commission base, refunds and the platform's commission read this.
    amount = fields.BigIntField()
    discount_amount = fields.BigIntField(default=0, db_default=0)  # the order-level discounts allocated here
    coins = fields.BigIntField(default=0, db_default=0)  # shopping coins allocated here (a count)
    coins_amount = fields.BigIntField(default=0, db_default=0)  # what they paid of the line, fen
    # each discount part: {"source": PROMOTION/COUPON/COINS, "id", "funder": merchant id or null, "amount"}
    discounts = fields.JSONField(null=True)  # null on lines priced before there were discounts
    points = fields.BigIntField(default=0, db_default=0)  # POINTS zone: points_price * quantity
    # After-sales bookkeeping: units under an open or finished request, units refunded.
    requested_quantity = fields.IntField(default=0)
    refunded_quantity = fields.IntField(default=0)
    refunded_amount = fields.BigIntField(default=0)
    # WHOLESALE: consign the units as soon as they are paid for (chosen at checkout)
    consign_on_payment = fields.BooleanField(default=False)
    # MKT-3: the activity that priced the line (FLASH ...) and its id (the flash item's)
    activity_kind = fields.CharField(max_length=16, null=True)
    activity_id = fields.BigIntField(null=True)
    # MKT-2: a free line added by a gift promotion (its discounts name the promotion; paid 0):
    # no commission, no coins or points granted
    is_gift = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "order_line"


class OrderStatusChange(Model):
    """Audit trail of every order transition."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField(
        "models.Order", related_name="status_changes", on_delete=fields.CASCADE, db_index=True
    )
    from_status = fields.CharField(max_length=24)
    to_status = fields.CharField(max_length=24)
    actor_id = fields.BigIntField(null=True)  # null: the system (worker, gateway callback)
    reason = fields.CharField(max_length=256, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_status_change"


class Shipment(Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.OneToOneField("models.Order", related_name="shipment", on_delete=fields.CASCADE)
    carrier = fields.CharField(max_length=32)
    tracking_no = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shipment"


class TrackingEvent(Model):
    id = fields.BigIntField(primary_key=True)
    shipment = fields.ForeignKeyField("models.Shipment", related_name="events", on_delete=fields.CASCADE, db_index=True)
    status = fields.CharField(max_length=16)  # IN_TRANSIT / OUT_FOR_DELIVERY / DELIVERED / EXCEPTION
    description = fields.CharField(max_length=256)
    location = fields.CharField(max_length=128, default="")
    occurred_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tracking_event"


class AfterSale(Model):
    """A buyer's refund-only or return-and-refund request for some units of one line."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="after_sales", on_delete=fields.RESTRICT, db_index=True)
    line = fields.ForeignKeyField(
        "models.OrderLine", related_name="after_sales", on_delete=fields.RESTRICT, db_index=True
    )
    buyer = fields.ForeignKeyField("models.User", related_name="after_sales", on_delete=fields.RESTRICT, db_index=True)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="after_sales", on_delete=fields.RESTRICT, db_index=True
    )
    kind = fields.CharField(max_length=16)  # REFUND_ONLY / RETURN_REFUND
    status = fields.CharField(max_length=16, default="REQUESTED", db_index=True)
    quantity = fields.IntField()
    amount = fields.BigIntField(default=0)  # what was refunded (set when refunded)
    reason = fields.CharField(max_length=256)
    reject_reason = fields.CharField(max_length=256, default="")
    return_carrier = fields.CharField(max_length=32, default="")
    return_tracking_no = fields.CharField(max_length=64, default="")
    reviewer_id = fields.BigIntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    refunded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "after_sale"


class Refund(Model):
    """Money going back to the buyer by the payment's own method."""

    id = fields.BigIntField(primary_key=True)
    refund_no = fields.CharField(max_length=32, unique=True)
    payment = fields.ForeignKeyField("models.Payment", related_name="refunds", on_delete=fields.RESTRICT, db_index=True)
    order = fields.ForeignKeyField(
        "models.Order", related_name="refunds", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    after_sale = fields.ForeignKeyField(
        "models.AfterSale", related_name="refunds", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    amount = fields.BigIntField()
    method = fields.CharField(max_length=16)
    trade_no = fields.CharField(max_length=64, default="")  # the gateway charge refunded
    # PENDING (booked, gateway not yet confirmed) -> SUCCEEDED; a worker retries PENDING
    status = fields.CharField(max_length=16, default="PENDING", db_index=True)
    reason = fields.CharField(max_length=64, default="")  # AFTER_SALE / LATE_PAYMENT / DUPLICATE_PAYMENT
    gateway_refund_no = fields.CharField(max_length=64, default="")
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refund"


class GatewayNotification(Model):
    """Every verified gateway callback, once: replays are answered from here."""

    id = fields.BigIntField(primary_key=True)
    gateway = fields.CharField(max_length=16)
    notify_id = fields.CharField(max_length=64)
    trade_no = fields.CharField(max_length=64)
    payment_no = fields.CharField(max_length=32)
    amount = fields.BigIntField()
    outcome = fields.CharField(max_length=32)  # PAID / ALREADY_PAID / REFUNDED_LATE / ...
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gateway_notification"
        unique_together = (("gateway", "notify_id"),)


class SandboxTrade(Model):
    """The sandbox gateway's own book of trades (stands in for WeChat Pay / Alipay)."""

    id = fields.BigIntField(primary_key=True)
    trade_no = fields.CharField(max_length=32, unique=True)
    payment_no = fields.CharField(max_length=32, db_index=True)
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=8)
    status = fields.CharField(max_length=16, default="NOTPAY")  # NOTPAY / SUCCESS / CLOSED
    refunded = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sandbox_trade"


class OutboundMessage(Model):
    """SMS / template messages to send (outbox): written with the change that causes
    them, delivered by the worker through the configured sender."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="outbound_messages", on_delete=fields.CASCADE, db_index=True
    )
    template = fields.CharField(max_length=32)  # ORDER_PAID / ORDER_SHIPPED / NEW_ORDER / ...
    params = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="PENDING", db_index=True)  # PENDING / SENT / FAILED
    attempts = fields.IntField(default=0)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbound_message"


class SandboxRefund(Model):
    """The sandbox gateway's refunds, unique per refund number like a real gateway's."""

    id = fields.BigIntField(primary_key=True)
    refund_no = fields.CharField(max_length=32, unique=True)
    trade_no = fields.CharField(max_length=32)
    amount = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sandbox_refund"
