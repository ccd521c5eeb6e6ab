"""Home content (CAT-5): banners/ads and recommended products and merchants."""

from tortoise import fields
from tortoise.models import Model


class Banner(Model):
    id = fields.BigIntField(primary_key=True)
    placement = fields.CharField(max_length=32, db_index=True)  # HOME_TOP, HOME_MIDDLE, CATEGORY_TOP ...
    title = fields.CharField(max_length=64)
    image_url = fields.CharField(max_length=512)
    target_type = fields.CharField(max_length=16)  # PRODUCT / MERCHANT / CATEGORY / URL
    target_value = fields.CharField(max_length=512)
    sort_order = fields.IntField(default=0)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "content_banner"


class Recommendation(Model):
    id = fields.BigIntField(primary_key=True)
    placement = fields.CharField(max_length=32, default="HOME", db_index=True)
    kind = fields.CharField(max_length=16)  # PRODUCT / MERCHANT
    target_id = fields.BigIntField()
    sort_order = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "content_recommendation"
        unique_together = (("placement", "kind", "target_id"),)
