"""Bookable service items of a store (STO-4): the items, their time slots with a capacity
(counted by conditional UPDATE) and the customers' bookings."""

from tortoise import fields
from tortoise.models import Model


class ServiceItem(Model):
    """A service a store sells by time slot (repair, cleaning...): its price, how long one takes,
    how many customers one slot takes, and its own opening hours (empty: the store's)."""

    id = fields.BigIntField(primary_key=True)
    store = fields.ForeignKeyField(
        "models.Store", related_name="service_offers", on_delete=fields.CASCADE, db_index=True
    )
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="service_offers", on_delete=fields.CASCADE, db_index=True
    )
    # The hidden product (zone SERVICE, REDEEMABLE) and SKU an online-paid booking's order line is of.
    product = fields.ForeignKeyField(
        "models.Product", related_name="service_offers", on_delete=fields.RESTRICT, db_index=True
    )
    sku = fields.ForeignKeyField("models.Sku", related_name="service_offers", on_delete=fields.RESTRICT, db_index=True)
    name = fields.CharField(max_length=64)
    description = fields.CharField(max_length=512, default="")
    price = fields.BigIntField()  # fen
    duration_minutes = fields.IntField()  # one slot's length
    capacity = fields.IntField()  # customers per slot
    opening_hours = fields.JSONField(default=list)  # [{"weekday", "opens", "closes"}]; empty: the store's
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store_service_item"


class BookingSlot(Model):
    """One time slot of a service item, created on its first booking. `booked` counts the
    bookings holding it and only moves by `UPDATE ... WHERE booked < capacity`."""

    id = fields.BigIntField(primary_key=True)
    item = fields.ForeignKeyField("models.ServiceItem", related_name="slots", on_delete=fields.CASCADE)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()  # the item's capacity when the slot was first booked
    booked = fields.IntField(default=0)

    class Meta:
        table = "store_booking_slot"
        unique_together = (("item", "starts_at"),)


class Booking(Model):
    """A customer's booking of a slot. PENDING_PAYMENT (paid online, awaiting the payment) ->
    BOOKED -> CHECKED_IN | CANCELLED | NO_SHOW."""

    id = fields.BigIntField(primary_key=True)
    slot = fields.ForeignKeyField(
        "models.BookingSlot", related_name="bookings", on_delete=fields.RESTRICT, db_index=True
    )
    item = fields.ForeignKeyField(
        "models.ServiceItem", related_name="bookings", on_delete=fields.RESTRICT, db_index=True
    )
    store = fields.ForeignKeyField("models.Store", related_name="bookings", on_delete=fields.RESTRICT)
    buyer = fields.ForeignKeyField("models.User", related_name="bookings", on_delete=fields.RESTRICT, db_index=True)
    pay_mode = fields.CharField(max_length=16)  # ONLINE | AT_STORE
    order = fields.ForeignKeyField(
        "models.Order", related_name="bookings", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    price = fields.BigIntField()  # fen, as booked
    status = fields.CharField(max_length=16, db_index=True)
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    idempotency_key = fields.CharField(max_length=64)
    note = fields.CharField(max_length=256, default="")
    checked_in_at = fields.DatetimeField(null=True)
    checked_in_by_id = fields.BigIntField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    no_show_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "store_booking"
        unique_together = (("buyer", "idempotency_key"),)
        indexes = (("store_id", "starts_at"),)
