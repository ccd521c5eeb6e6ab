"""Merchants, their staff and commission rates, offline stores and store staff (MER-1..3)."""

from tortoise import fields
from tortoise.models import Model

from models.accounts import CIPHER_LENGTH
from models.sealed import Sealed, SealedModel


class Merchant(SealedModel, Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16, default="THIRD_PARTY")  # SELF_OPERATED / THIRD_PARTY
    # PENDING (applied) -> ACTIVE | REJECTED; ACTIVE <-> SUSPENDED
    status = fields.CharField(max_length=16, default="PENDING", db_index=True)
    owner = fields.ForeignKeyField(
        "models.User", related_name="owned_merchants", on_delete=fields.RESTRICT, db_index=True
    )
    legal_name = fields.CharField(max_length=128, default="")
    business_license_no = fields.CharField(max_length=64, default="")
    contact_name = fields.CharField(max_length=64, default="")
    contact_phone_cipher = fields.CharField(max_length=CIPHER_LENGTH, null=True)  # E.164, encrypted
    contact_phone = Sealed(empty="")
    description = fields.CharField(max_length=1024, default="")
    logo_url = fields.CharField(max_length=512, default="")
    # Platform commission (抽点) in basis points of goods amount: 500 = 5 %.
    commission_rate_bp = fields.IntField(default=0)
    # Shipping template: flat fee, free at or above a goods amount (fen; 0 = never free).
    shipping_fee = fields.BigIntField(default=0)
    free_shipping_threshold = fields.BigIntField(default=0)
    # Stock settings: SKU low-stock alert level, and delist at zero / relist on restock.
    low_stock_threshold = fields.IntField(default=5)
    auto_delist_at_zero = fields.BooleanField(default=True)
    reject_reason = fields.CharField(max_length=256, default="")
    reviewed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "merchant"


class MerchantReview(Model):
    """Audit trail of every status decision on a merchant."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="reviews", on_delete=fields.CASCADE, db_index=True
    )
    action = fields.CharField(max_length=16)  # APPROVE / REJECT / SUSPEND / REINSTATE
    from_status = fields.CharField(max_length=16)
    to_status = fields.CharField(max_length=16)
    actor_id = fields.BigIntField()
    reason = fields.CharField(max_length=256, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "merchant_review"


class MerchantStaff(Model):
    """A user working for a merchant, with the merchant permissions the owner granted."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField("models.Merchant", related_name="staff", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="merchant_jobs", on_delete=fields.CASCADE, db_index=True)
    permissions = fields.JSONField(default=list)  # subset of merchant.* permission codes
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "merchant_staff"
        unique_together = (("merchant", "user"),)


class MerchantCategoryRate(Model):
    """Per-category override of a merchant's platform commission rate."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField("models.Merchant", related_name="category_rates", on_delete=fields.CASCADE)
    category = fields.ForeignKeyField(
        "models.Category", related_name="merchant_rates", on_delete=fields.CASCADE, db_index=True
    )
    commission_rate_bp = fields.IntField()

    class Meta:
        table = "merchant_category_rate"
        unique_together = (("merchant", "category"),)


class Store(SealedModel, Model):
    """An offline store (门店) of a merchant: pickup point and O2O service location."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField("models.Merchant", related_name="stores", on_delete=fields.CASCADE, db_index=True)
    name = fields.CharField(max_length=64)
    phone_cipher = fields.CharField(max_length=CIPHER_LENGTH, null=True)  # encrypted; NULL = none
    phone = Sealed(empty="")
    province_code = fields.CharField(max_length=12, db_index=True)
    city_code = fields.CharField(max_length=12, db_index=True)
    county_code = fields.CharField(max_length=12, db_index=True)
    region_name = fields.CharField(max_length=128, default="")
    address = fields.CharField(max_length=256)
    # WGS-84 degrees. Indexed together for the nearest-stores bounding-box prefilter.
    latitude = fields.FloatField()
    longitude = fields.FloatField()
    opening_hours = fields.JSONField(default=list)  # [{"weekday": 1, "opens": "09:00", "closes": "21:00"}]
    service_items = fields.JSONField(default=list)  # ["pickup", "repair", ...]
    invite_code = fields.CharField(max_length=12, unique=True)  # franchise binding (MEM-3)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store"
        indexes = (("latitude", "longitude"),)


class StoreStaff(Model):
    id = fields.BigIntField(primary_key=True)
    store = fields.ForeignKeyField("models.Store", related_name="staff", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="store_jobs", on_delete=fields.CASCADE, db_index=True)
    # Extra store.* permissions the merchant's owner granted (e.g. store.refund); every store
    # staff member holds store.pickup and store.cashier (services.accounts.access.STORE_STAFF_PERMISSIONS).
    permissions = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store_staff"
        unique_together = (("store", "user"),)
