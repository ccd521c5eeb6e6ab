"""Store delivery (STO-5): a store's delivery rule (radius, fee, minimum order) and each
store-delivery order's delivery with its provider's status."""

from tortoise import fields
from tortoise.models import Model


class StoreDeliveryRule(Model):
    """Where and at what fee a store delivers: within `radius_m` of its coordinates, a fee of
    `base_fee` + `per_km_fee` per started kilometre, free from `free_over` of goods (0: never),
    from `min_order` of goods."""

    id = fields.BigIntField(primary_key=True)
    store = fields.OneToOneField("models.Store", related_name="delivery_rule", on_delete=fields.CASCADE)
    radius_m = fields.IntField()
    base_fee = fields.BigIntField(default=0)
    per_km_fee = fields.BigIntField(default=0)
    free_over = fields.BigIntField(default=0)
    min_order = fields.BigIntField(default=0)
    is_active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "store_delivery_rule"


class StoreDelivery(Model):
    """The delivery of one store-delivery order. PENDING (paid, awaiting dispatch) ->
    DISPATCHED -> PICKED_UP -> DELIVERED; PENDING | DISPATCHED -> CANCELLED (dispatch again)."""

    id = fields.BigIntField(primary_key=True)
    order = fields.OneToOneField("models.Order", related_name="store_delivery", on_delete=fields.RESTRICT)
    store = fields.ForeignKeyField("models.Store", related_name="deliveries", on_delete=fields.RESTRICT)
    buyer_id = fields.BigIntField(db_index=True)
    provider = fields.CharField(max_length=64)  # the STORE_DELIVERY_PROVIDER that carries it
    external_id = fields.CharField(max_length=128, default="")  # the provider's id of the dispatch
    status = fields.CharField(max_length=16, default="PENDING", db_index=True)
    distance_m = fields.IntField()
    fee = fields.BigIntField()  # what the buyer paid for it (after free-over), fen
    rider_name = fields.CharField(max_length=64, default="")
    rider_phone = fields.CharField(max_length=32, default="")
    dispatched_at = fields.DatetimeField(null=True)
    picked_up_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "store_delivery"
        indexes = (("store_id", "created_at"), ("provider", "external_id"))
