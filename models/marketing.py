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


class LotteryActivity(Model):
    """A points lottery (MKT-4, 积分抽奖): a cost in points per draw, a schedule, a per-user daily
    limit, and a committed seed: `seed_hash` (sha256 of the seed) is published from creation,
    the seed itself only once the activity has closed (services.marketing.lottery)."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    cost_points = fields.BigIntField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    daily_limit = fields.IntField()  # draws per user per business day
    seed = fields.CharField(max_length=64)  # hex; never shown before ends_at
    seed_hash = fields.CharField(max_length=64)
    draw_count = fields.BigIntField(default=0)
    created_by = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lottery_activity"


class LotteryPrize(Model):
    """One prize of an activity, fixed once created: POINTS / COINS (an amount), COUPON (a
    template), NOTHING; a probability in parts per million; a stock (`awarded` counts up to it
    by a conditional UPDATE)."""

    id = fields.BigIntField(primary_key=True)
    activity = fields.ForeignKeyField("models.LotteryActivity", related_name="prizes", on_delete=fields.CASCADE)
    position = fields.IntField()  # order in the cumulative probability table
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)
    amount = fields.BigIntField(default=0)
    coupon_template_id = fields.BigIntField(null=True)
    probability_ppm = fields.IntField()
    stock = fields.IntField(default=0)
    awarded = fields.IntField(default=0)

    class Meta:
        table = "lottery_prize"
        unique_together = (("activity", "position"),)


class LotteryEntrant(Model):
    """A user's draws in an activity: the total (their last draw's sequence number) and today's
    count, both raised by one conditional UPDATE that refuses past the daily limit."""

    id = fields.BigIntField(primary_key=True)
    activity = fields.ForeignKeyField("models.LotteryActivity", related_name="entrants", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField(
        "models.User", related_name="lottery_entries", on_delete=fields.CASCADE, db_index=True
    )
    draws = fields.IntField(default=0)
    day = fields.DateField(null=True)
    day_draws = fields.IntField(default=0)

    class Meta:
        table = "lottery_entrant"
        unique_together = (("activity", "user"),)


class LotteryDraw(Model):
    """One draw: (activity, user, sequence) decides `drawn_position` by the published function,
    `prize` is what was awarded (null: nothing), `fell_back` when the drawn prize was out of stock."""

    id = fields.BigIntField(primary_key=True)
    activity = fields.ForeignKeyField("models.LotteryActivity", related_name="draws", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="lottery_draws", on_delete=fields.CASCADE)
    sequence = fields.IntField()
    roll = fields.IntField()  # 0 .. 999,999
    drawn_position = fields.IntField(null=True)  # the prize the roll fell on (null: beyond every prize)
    prize = fields.ForeignKeyField(
        "models.LotteryPrize", related_name="draws", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    fell_back = fields.BooleanField(default=False)
    cost_points = fields.BigIntField()
    user_coupon_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lottery_draw"
        unique_together = (("activity", "user", "sequence"),)
        indexes = (("activity_id", "id"), ("user_id", "id"))


class FlashSession(Model):
    """A flash-sale session (MKT-3, 秒杀): a time slot of the platform (e.g. 10:00 to 12:00 on a
    business day) whose items sell at a flash price from a flash stock of their own."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField(db_index=True)
    # ACTIVE or CANCELLED (an admin withdrew it); UPCOMING / ON / SOLD_OUT / ENDED are computed
    status = fields.CharField(max_length=16, default="ACTIVE")
    reconciled_at = fields.DatetimeField(null=True)  # the final reconciliation after the end
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "flash_session"


class FlashItem(Model):
    """One SKU in a session: its flash price, flash stock and per-user limit. `sold` is what
    orders hold (unpaid or paid), raised by one conditional UPDATE (`sold + n <= stock`) in
    the checkout's transaction and lowered when an unpaid order is cancelled: the database is
    the truth Redis's admission counters are reconciled from."""

    id = fields.BigIntField(primary_key=True)
    session = fields.ForeignKeyField("models.FlashSession", related_name="items", on_delete=fields.CASCADE)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="flash_items", on_delete=fields.RESTRICT, db_index=True
    )
    product = fields.ForeignKeyField(
        "models.Product", related_name="flash_items", on_delete=fields.RESTRICT, db_index=True
    )
    sku = fields.ForeignKeyField("models.Sku", related_name="flash_items", on_delete=fields.RESTRICT, db_index=True)
    flash_price = fields.BigIntField()  # fen per unit
    stock = fields.IntField()  # flash units, apart from the SKU's stock
    sold = fields.IntField(default=0)  # held by orders (unpaid or paid)
    per_user_limit = fields.IntField(default=1)
    attempts = fields.BigIntField(default=0)  # buy attempts counted at reconciliation (Redis) or here
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "flash_item"
        unique_together = (("session", "sku"),)


class FlashClaim(Model):
    """Units of a flash item a buyer's checkout holds: HELD while the order is unpaid or paid,
    RELEASED when it was cancelled (the units went back to the item)."""

    id = fields.BigIntField(primary_key=True)
    item = fields.ForeignKeyField("models.FlashItem", related_name="claims", on_delete=fields.CASCADE)
    user_id = fields.BigIntField()
    payment_id = fields.BigIntField(db_index=True)
    quantity = fields.IntField()
    status = fields.CharField(max_length=16, default="HELD")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "flash_claim"
        indexes = (("item_id", "user_id"),)


class GroupActivity(Model):
    """A group buy (MKT-3, 拼团): one SKU at a group price for teams of `team_size` buyers who
    pay within `time_limit_minutes` of the team's opening, from `starts_at` to `ends_at`."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="group_activities", on_delete=fields.RESTRICT, db_index=True
    )
    product = fields.ForeignKeyField(
        "models.Product", related_name="group_activities", on_delete=fields.RESTRICT, db_index=True
    )
    sku = fields.ForeignKeyField(
        "models.Sku", related_name="group_activities", on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=64)
    group_price = fields.BigIntField()  # fen per unit
    team_size = fields.IntField()
    time_limit_minutes = fields.IntField()
    per_user_limit = fields.IntField(default=1)  # units one buyer may hold in the activity
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE or ENDED (withdrawn)
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "group_activity"


class GroupTeam(Model):
    """A team of a group buy: PENDING until its leader pays, OPEN for others to join until
    `ends_at`, then FORMED (full, or by GROUP_UNFILLED_POLICY) or FAILED (refunded), or
    CANCELLED (the leader never paid). `taken` counts the seats orders hold (unpaid or paid),
    raised by one conditional UPDATE (`taken < size`); `paid` the seats paid."""

    id = fields.BigIntField(primary_key=True)
    activity = fields.ForeignKeyField(
        "models.GroupActivity", related_name="teams", on_delete=fields.RESTRICT, db_index=True
    )
    leader_id = fields.BigIntField()
    size = fields.IntField()
    taken = fields.IntField(default=1)
    paid = fields.IntField(default=0)
    status = fields.CharField(max_length=16, default="PENDING", db_index=True)
    ends_at = fields.DatetimeField(null=True, db_index=True)  # set when the leader pays
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "group_team"


class GroupMember(Model):
    """A seat of a team held by a buyer's checkout: HELD while unpaid, PAID, RELEASED (the
    unpaid order was cancelled) or REFUNDED (the team failed and the order was refunded)."""

    id = fields.BigIntField(primary_key=True)
    team = fields.ForeignKeyField("models.GroupTeam", related_name="members", on_delete=fields.RESTRICT, db_index=True)
    activity_id = fields.BigIntField(db_index=True)
    user_id = fields.BigIntField(db_index=True)
    payment_id = fields.BigIntField(db_index=True)
    order_id = fields.BigIntField(null=True, db_index=True)
    quantity = fields.IntField()
    leader = fields.BooleanField(default=False)
    status = fields.CharField(max_length=16, default="HELD")
    paid_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "group_member"


class BargainActivity(Model):
    """A bargain activity (MKT-3, 砍价): a SKU whose buyers may start bargains from a start price
    down to a floor price, friends' helps cutting it, within a time limit per bargain."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="bargain_activities", on_delete=fields.RESTRICT, db_index=True
    )
    product = fields.ForeignKeyField(
        "models.Product", related_name="bargain_activities", on_delete=fields.RESTRICT, db_index=True
    )
    sku = fields.ForeignKeyField(
        "models.Sku", related_name="bargain_activities", on_delete=fields.RESTRICT, db_index=True
    )
    name = fields.CharField(max_length=64)
    start_price = fields.BigIntField()  # fen
    floor_price = fields.BigIntField()  # fen
    helps_needed = fields.IntField()
    time_limit_minutes = fields.IntField()  # a bargain's life from its start
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE or CANCELLED
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bargain_activity"


class Bargain(Model):
    """One user's bargain of an activity: the cut sequence fixed at its start (from `seed`), how
    many cuts friends' helps took, the current price, and the payment that bought it (one at a
    time: a cancelled unpaid order frees it again)."""

    id = fields.BigIntField(primary_key=True)
    activity = fields.ForeignKeyField(
        "models.BargainActivity", related_name="bargains", on_delete=fields.CASCADE, db_index=True
    )
    user_id = fields.BigIntField()
    seed = fields.CharField(max_length=64)
    cuts = fields.JSONField()  # fen per position, summing to start - floor
    taken = fields.IntField(default=0)  # cuts taken by helps
    price = fields.BigIntField()  # fen now: start - the cuts taken
    expires_at = fields.DatetimeField()
    device_id = fields.CharField(max_length=128, default="")  # the starter's: helpers from it are refused
    ip = fields.CharField(max_length=64, default="")
    payment_id = fields.BigIntField(null=True, db_index=True)  # the checkout holding it
    bought_price = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bargain"
        indexes = (("activity_id", "user_id"),)


class BargainHelp(Model):
    """A friend's help: the cuts it took (from `position`, `count` of them) and the amount cut, with
    the device and IP it came from (helpers from one device or IP count as one)."""

    id = fields.BigIntField(primary_key=True)
    bargain = fields.ForeignKeyField("models.Bargain", related_name="helps", on_delete=fields.CASCADE, db_index=True)
    helper_id = fields.BigIntField()
    position = fields.IntField()  # its first cut (0-based)
    count = fields.IntField()
    amount = fields.BigIntField()  # fen
    new_user = fields.BooleanField(default=False)
    device_id = fields.CharField(max_length=128, default="")
    ip = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bargain_help"
        unique_together = (("bargain", "helper_id"),)
        indexes = (("bargain_id", "device_id"), ("bargain_id", "ip"))


class Material(Model):
    """A promotion material (MKT-5, 素材): a poster image, copy text or a short video link for
    distributors to share, tied to a product, a category and/or an activity. Owned by the
    platform (merchant null) or by a merchant, for its own goods."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=8)  # IMAGE / TEXT / VIDEO
    title = fields.CharField(max_length=64)
    body = fields.TextField(default="")  # the copy text a distributor copies
    image_urls = fields.JSONField(default=list)  # http(s) URLs, at most 9
    video_url = fields.CharField(max_length=512, default="")
    # The owner: a merchant, or null for the platform.
    merchant = fields.ForeignKeyField(
        "models.Merchant", related_name="materials", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    product = fields.ForeignKeyField(
        "models.Product", related_name="materials", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    category = fields.ForeignKeyField(
        "models.Category", related_name="materials", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    activity_kind = fields.CharField(max_length=16, null=True)  # FLASH_SESSION / FLASH_ITEM / PROMOTION
    activity_id = fields.BigIntField(null=True)
    status = fields.CharField(max_length=16, default="PUBLISHED")  # PUBLISHED / HIDDEN
    sort_order = fields.IntField(default=0)  # lower first
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "material"
        indexes = (("status", "sort_order", "id"), ("activity_kind", "activity_id"))


class PosterTemplate(Model):
    """A share poster's layout (MKT-5): its size, colours and where each part goes, as data.

    `layout` holds the boxes and styles services.marketing.posters.layout reads (validated
    there); `version` is raised by every change, so posters rendered from the old layout are
    never served again (the cache key includes it)."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    layout = fields.JSONField(default=dict)
    version = fields.IntField(default=1)
    is_default = fields.BooleanField(default=False, db_index=True)  # the one used when none is asked for
    is_active = fields.BooleanField(default=True)
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "poster_template"
