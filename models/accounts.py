"""Users, sign-in sessions, SMS codes, addresses and referral-binding audit."""

from tortoise import fields
from tortoise.models import Model

from models.sealed import Sealed, SealedModel

# Fernet tokens of short values (phones, ID numbers) are 100-140 characters.
CIPHER_LENGTH = 255


class User(SealedModel, Model):
    id = fields.BigIntField(primary_key=True)
    # E.164, e.g. +8613800138000, encrypted; the blind index is unique when present
    # (WeChat-only users may have no phone yet). `user.phone` decrypts.
    phone_cipher = fields.CharField(max_length=CIPHER_LENGTH, null=True)
    phone_hash = fields.CharField(max_length=64, null=True, unique=True)
    phone = Sealed(hashed=True)
    wechat_openid = fields.CharField(max_length=64, null=True, unique=True)
    wechat_unionid = fields.CharField(max_length=64, null=True, db_index=True)
    nickname = fields.CharField(max_length=64, default="")
    avatar_url = fields.CharField(max_length=512, default="")
    invite_code = fields.CharField(max_length=12, unique=True)
    upline = fields.ForeignKeyField("models.User", related_name="downlines", null=True, on_delete=fields.RESTRICT)
    upline_bound_at = fields.DatetimeField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "account_user"
        indexes = (("upline_id", "upline_bound_at"),)  # team per level (DIS-5): one join per level on it


class Session(Model):
    """One signed-in device. Access tokens name their session, and revoking it ends them all."""

    id = fields.UUIDField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE, db_index=True)
    method = fields.CharField(max_length=16)  # SMS / WECHAT
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=256, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_session"


class RefreshToken(Model):
    """Opaque, single-use refresh token (stored as a SHA-256 digest)."""

    id = fields.BigIntField(primary_key=True)
    session = fields.ForeignKeyField(
        "models.Session", related_name="refresh_tokens", on_delete=fields.CASCADE, db_index=True
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField(db_index=True)  # the purge job
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_refresh_token"


class SmsCode(Model):
    """A one-time sign-in code. Only an HMAC of the code is kept, and only the blind index
    of the phone (rate limits and sign-in look codes up by it; nothing reads the number back)."""

    id = fields.BigIntField(primary_key=True)
    phone_hash = fields.CharField(max_length=64, db_index=True)
    ip = fields.CharField(max_length=64, default="", db_index=True)
    code_hash = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    consumed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "account_sms_code"


class Address(SealedModel, Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="addresses", on_delete=fields.CASCADE, db_index=True)
    recipient = fields.CharField(max_length=64)
    phone_cipher = fields.CharField(max_length=CIPHER_LENGTH, null=True)  # recipient's phone, E.164
    phone = Sealed(empty="")
    # Administrative region codes (GB/T 2260), used later by regional agents and pickup.
    province_code = fields.CharField(max_length=12, default="")
    city_code = fields.CharField(max_length=12, default="")
    county_code = fields.CharField(max_length=12, default="")
    region_name = fields.CharField(max_length=128, default="")
    detail = fields.CharField(max_length=256)
    postal_code = fields.CharField(max_length=12, default="")
    # WGS-84 degrees, optional: store delivery (STO-5) measures the distance from the store.
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    is_default = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_address"


class UplineChange(Model):
    """Audit trail of referral bindings: the first binding and every admin rebinding."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="upline_changes", on_delete=fields.CASCADE, db_index=True)
    old_upline_id = fields.BigIntField(null=True)
    new_upline_id = fields.BigIntField(null=True)
    actor_id = fields.BigIntField(null=True)  # null when the user bound themselves
    source = fields.CharField(max_length=16)  # SIGNUP / LINK / ADMIN
    reason = fields.CharField(max_length=256, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_upline_change"


class UserIdentity(SealedModel, Model):
    """Real-name verification (实名认证), needed before withdrawals (flexible-employment tax).
    Once per user; one identity per person (the ID number's blind index is unique)."""

    id = fields.BigIntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="identity", on_delete=fields.CASCADE)
    real_name_cipher = fields.CharField(max_length=512)
    real_name = Sealed()
    id_number_cipher = fields.CharField(max_length=CIPHER_LENGTH)  # 18-character resident ID
    id_number_hash = fields.CharField(max_length=64, unique=True)
    id_number = Sealed(hashed=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_identity"
