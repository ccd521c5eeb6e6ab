"""Coupons (MKT-1, MKT-6): templates issued by the platform or a merchant (who funds them),
the coupons users hold, and each user's claim count per template.

Statuses change only through the transition tables of services.marketing.coupons, by
conditional UPDATEs. A template's `claimed_count` is raised by one conditional UPDATE
(`claimed_count + n <= total_quantity`): never more coupons than the total, under any
concurrency; `CouponClaim` does the same per user.
"""

from tortoise import fields
from tortoise.models import Model


class CouponTemplate(Model):
    id = fields.BigIntField(primary_key=True)
    # The issuer and funder: a merchant, or null for the platform.
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="coupon_templates", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=64)
    description = fields.CharField(max_length=256, default="")
    kind = fields.CharField(max_length=16)  # FIXED / PERCENT / THRESHOLD / FREE_SHIPPING
    amount = fields.BigIntField(default=0)  # fen off; FREE_SHIPPING: most waived (0: all)
    rate_bp = fields.IntField(default=0)  # PERCENT: basis points off
    cap = fields.BigIntField(default=0)  # PERCENT: most off (0: no cap)
    threshold = fields.BigIntField(default=0)  # covered goods at least this
    # {"categoryIds": [..], "productIds": [..], "merchantIds": [..], "zones": [..],
    #  "excludedCategoryIds": [..], "excludedProductIds": [..], "excludedZones": [..]}
    scope = fields.JSONField(default=dict)
    stacks = fields.BooleanField(default=False)  # may be combined with other coupons of its slot
    # Validity: a fixed window (valid_from .. valid_until), or valid_days after claiming.
    valid_from = fields.DatetimeField(null=True)
    valid_until = fields.DatetimeField(null=True, db_index=True)  # the job that ends templates past it
    valid_days = fields.IntField(default=0)
    total_quantity = fields.IntField()
    per_user_limit = fields.IntField(default=1)  # claims per user (admin issues do not count)
    claimed_count = fields.IntField(default=0)  # claimed and issued
    claimable = fields.BooleanField(default=True)  # listed in the storefront; False: issued only
    # DRAFT -> ACTIVE <-> PAUSED; any -> ENDED
    status = fields.CharField(max_length=16, default="DRAFT", db_index=True)
    created_by_id = fields.BigIntField(null=True)
    activated_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "coupon_template"
        indexes = (("status", "claimable"),)


class CouponClaim(Model):
    """How many coupons of a template a user claimed: raised by a conditional UPDATE
    (`claimed < per_user_limit`), the unique pair serialising a user's first claims."""

    id = fields.BigIntField(primary_key=True)
    template = fields.ForeignKeyField("models.CouponTemplate", related_name="claims", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="coupon_claims", on_delete=fields.CASCADE, db_index=True)
    claimed = fields.IntField(default=0)

    class Meta:
        table = "coupon_claim"
        unique_together = (("template", "user"),)


class UserCoupon(Model):
    """A coupon a user holds. CLAIMED (or RETURNED: given back after a use) -> USED by a
    checkout -> RETURNED on cancel or refund; CLAIMED / RETURNED -> EXPIRED by the worker."""

    id = fields.BigIntField(primary_key=True)
    template = fields.ForeignKeyField(
        "models.CouponTemplate", related_name="coupons", on_delete=fields.RESTRICT, db_index=True
    )
    user = fields.ForeignKeyField("models.User", related_name="coupons", on_delete=fields.CASCADE)
    source = fields.CharField(max_length=8)  # CLAIM / ISSUE
    status = fields.CharField(max_length=16, default="CLAIMED", db_index=True)
    valid_from = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    payment_id = fields.BigIntField(null=True, db_index=True)  # the checkout it was used in
    order_id = fields.BigIntField(null=True, db_index=True)  # a merchant coupon's order
    discount = fields.BigIntField(default=0)  # what it took off, goods and shipping (set when used)
    issued_by_id = fields.BigIntField(null=True)
    used_at = fields.DatetimeField(null=True)
    returned_at = fields.DatetimeField(null=True)
    expired_at = fields.DatetimeField(null=True)
    # when its holder was told it expires soon (the EXPIRING event, once per coupon)
    expiring_sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_coupon"
        indexes = (("user_id", "status"), ("template_id", "status"))


class Promotion(Model):
    """A promotion (MKT-2, MKT-6) of the platform or of a merchant (who funds it), priced by
    services.marketing.pipeline at every checkout while ACTIVE and within its schedule."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="promotions", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=24)  # FULL_REDUCTION / QUANTITY_DISCOUNT / LIMITED_PRICE / GIFT
    # [{"threshold": fen or units, "value": fen or bp off}], rising; GIFT tiers also name a
    # "gift": {"sku", "product", "merchant", "quantity", "price" (when created), "zone"}
    tiers = fields.JSONField(default=list)
    # LIMITED_PRICE: {"skus": {"<sku id>": fen}, "products": {"<product id>": fen}}
    prices = fields.JSONField(default=dict)
    scope = fields.JSONField(default=dict)  # as CouponTemplate.scope
    priority = fields.IntField(default=0)  # higher runs first
    exclusive = fields.BooleanField(default=False)  # takes only untouched lines, keeps others off them
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    # DRAFT -> ACTIVE <-> PAUSED; any -> ENDED
    status = fields.CharField(max_length=16, default="DRAFT", db_index=True)
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "promotion"
