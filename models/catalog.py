"""Categories, products (SPU), SKUs and the stock movement journal (CAT-1..4)."""

from tortoise import fields
from tortoise.models import Model


class Category(Model):
    id = fields.BigIntField(primary_key=True)
    parent = fields.ForeignKeyField(
        "models.Category", related_name="children", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=64)
    # Materialised path of ids, "/1/4/9/": subtree filters are one LIKE, cycles are visible.
    path = fields.CharField(max_length=512, default="/", db_index=True)
    sort_order = fields.IntField(default=0)
    icon_url = fields.CharField(max_length=512, default="")
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "category"


class Product(Model):
    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField("models.Merchant", related_name="products", on_delete=fields.RESTRICT)
    category = fields.ForeignKeyField("models.Category", related_name="products", on_delete=fields.RESTRICT)
    title = fields.CharField(max_length=128)
    subtitle = fields.CharField(max_length=256, default="")
    description = fields.TextField(default="")
    main_image_url = fields.CharField(max_length=512, default="")
    image_urls = fields.JSONField(default=list)
    attributes = fields.JSONField(default=list)  # [{"name": "产地", "value": "云南"}]
    spec_dimensions = fields.JSONField(default=list)  # [{"name": "颜色", "values": ["红", "蓝"]}]
    # RETAIL / MEMBER / WHOLESALE / GIFT_PACK / POINTS / NORMAL (CAT-2)
    zone = fields.CharField(max_length=16, default="NORMAL", db_index=True)
    vouchers_per_unit = fields.IntField(default=0)  # RETAIL / MEMBER: wholesale vouchers granted
    voucher_product_id = fields.BigIntField(null=True)  # voucher scope: that wholesale product, or any
    zone_starts_at = fields.DatetimeField(null=True)
    zone_ends_at = fields.DatetimeField(null=True)
    gift_grade = fields.CharField(max_length=16, default="")  # GIFT_PACK: grade it grants
    coins_granted = fields.BigIntField(default=0)
    points_granted = fields.BigIntField(default=0)
    distribution_enabled = fields.BooleanField(default=True)
    distribution_rates = fields.JSONField(default=dict)  # per-level overrides, e.g. {"1": 1000}
    purchase_limit = fields.IntField(default=0)  # per buyer; 0 = no limit
    # STO-6: PHYSICAL goods are shipped or picked up; VIRTUAL ones need no delivery and complete
    # at payment; REDEEMABLE ones need no delivery either and complete when redeemed at a store.
    delivery_kind = fields.CharField(max_length=16, default="PHYSICAL")
    # DRAFT -> LISTED <-> DELISTED; delist_reason MANUAL or OUT_OF_STOCK (auto relist on restock)
    status = fields.CharField(max_length=16, default="DRAFT", db_index=True)
    delist_reason = fields.CharField(max_length=16, default="")
    # Denormalised from SKUs for filters and sorts.
    min_price = fields.BigIntField(default=0, db_index=True)
    max_price = fields.BigIntField(default=0)
    total_stock = fields.BigIntField(default=0)
    sales_count = fields.BigIntField(default=0, db_index=True)
    search_text = fields.TextField(default="")  # title + subtitle + attributes, lower-cased
    listed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "product"
        indexes = (("status", "zone"), ("merchant_id", "status"), ("category_id", "status"))


class Sku(Model):
    id = fields.BigIntField(primary_key=True)
    product = fields.ForeignKeyField("models.Product", related_name="skus", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=64, unique=True)
    spec_values = fields.JSONField(default=dict)  # {"颜色": "红", "尺码": "M"}
    spec_key = fields.CharField(max_length=256, default="")  # canonical form of spec_values
    price = fields.BigIntField()  # fen; POINTS zone: cash part
    member_price = fields.BigIntField(null=True)
    wholesale_price = fields.BigIntField(null=True)
    points_price = fields.BigIntField(default=0)
    stock = fields.BigIntField(default=0)
    low_stock_threshold = fields.IntField(null=True)  # null: the merchant's setting
    image_url = fields.CharField(max_length=512, default="")
    is_active = fields.BooleanField(default=True)
    sales_count = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sku"
        unique_together = (("product", "spec_key"),)


class StockMovement(Model):
    """Every change of a SKU's stock, with its reason (append-only)."""

    id = fields.BigIntField(primary_key=True)
    sku = fields.ForeignKeyField("models.Sku", related_name="movements", on_delete=fields.CASCADE)
    delta = fields.BigIntField()
    stock_after = fields.BigIntField()
    reason = fields.CharField(max_length=24)  # INITIAL / ADJUST / ORDER_RESERVE / ORDER_RELEASE / RETURN
    reference_type = fields.CharField(max_length=32, default="")
    reference_id = fields.CharField(max_length=64, default="")
    actor_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stock_movement"
        indexes = (("sku_id", "id"),)
