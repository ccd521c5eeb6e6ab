"""Domain errors with stable codes. The API turns them into `UserError`s or GraphQL errors."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """One code per meaning: the input field at fault tells which object or value it is about
    (NOT_FOUND covers every missing object, INVALID_TRANSITION every refused state change)."""

    # generic
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"  # not a global id of the type the field takes
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    PAGE_SIZE_EXCEEDED = "PAGE_SIZE_EXCEEDED"
    SLOW_CONSUMER = "SLOW_CONSUMER"
    RESYNC = "RESYNC"  # a live stream's message (not its end): events may have been missed, refetch
    INVALID_CURSOR = "INVALID_CURSOR"
    # accounts
    INVALID_PHONE = "INVALID_PHONE"
    RATE_LIMITED = "RATE_LIMITED"
    CODE_INVALID = "CODE_INVALID"
    CODE_EXPIRED = "CODE_EXPIRED"
    CODE_ATTEMPTS_EXCEEDED = "CODE_ATTEMPTS_EXCEEDED"
    WECHAT_CODE_INVALID = "WECHAT_CODE_INVALID"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    # referral (ACC-4)
    INVITE_CODE_INVALID = "INVITE_CODE_INVALID"
    SELF_BINDING = "SELF_BINDING"
    BINDING_CYCLE = "BINDING_CYCLE"
    ALREADY_BOUND = "ALREADY_BOUND"
    BINDING_NOT_ALLOWED = "BINDING_NOT_ALLOWED"
    # ledger
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    UNBALANCED_TRANSACTION = "UNBALANCED_TRANSACTION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    # state machines (services.core.states)
    INVALID_TRANSITION = "INVALID_TRANSITION"
    # merchants and stores (MER)
    MERCHANT_NAME_TAKEN = "MERCHANT_NAME_TAKEN"
    MERCHANT_NOT_ACTIVE = "MERCHANT_NOT_ACTIVE"
    ALREADY_APPLIED = "ALREADY_APPLIED"
    INVALID_RATE = "INVALID_RATE"
    INVALID_COORDINATES = "INVALID_COORDINATES"
    INVALID_PERMISSION = "INVALID_PERMISSION"
    # catalog (CAT)
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_STOCK = "INVALID_STOCK"
    SPEC_MISMATCH = "SPEC_MISMATCH"
    DUPLICATE_SKU_CODE = "DUPLICATE_SKU_CODE"
    CATEGORY_CYCLE = "CATEGORY_CYCLE"
    CATEGORY_NOT_EMPTY = "CATEGORY_NOT_EMPTY"
    INVALID_ZONE_SETTINGS = "INVALID_ZONE_SETTINGS"
    PRODUCT_NOT_LISTABLE = "PRODUCT_NOT_LISTABLE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    # cart, checkout, orders (ORD-1..3)
    CART_EMPTY = "CART_EMPTY"
    CART_FULL = "CART_FULL"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    PRODUCT_UNAVAILABLE = "PRODUCT_UNAVAILABLE"
    PURCHASE_LIMIT_EXCEEDED = "PURCHASE_LIMIT_EXCEEDED"
    ZONE_REQUIREMENT_NOT_MET = "ZONE_REQUIREMENT_NOT_MET"
    ZONE_NOT_OPEN = "ZONE_NOT_OPEN"
    ADDRESS_REQUIRED = "ADDRESS_REQUIRED"
    INVALID_STORE = "INVALID_STORE"
    SHARE_EXPIRED = "SHARE_EXPIRED"
    # payments (ORD-4)
    PAYMENT_NOT_PAYABLE = "PAYMENT_NOT_PAYABLE"
    PAYMENT_EXPIRED = "PAYMENT_EXPIRED"
    PAYMENT_METHOD_UNAVAILABLE = "PAYMENT_METHOD_UNAVAILABLE"
    CALLBACK_INVALID = "CALLBACK_INVALID"
    CALLBACK_AMOUNT_MISMATCH = "CALLBACK_AMOUNT_MISMATCH"
    # lifecycle and after-sales (ORD-5..7)
    PICKUP_CODE_INVALID = "PICKUP_CODE_INVALID"
    AFTER_SALE_NOT_ALLOWED = "AFTER_SALE_NOT_ALLOWED"
    AFTER_SALE_QUANTITY_EXCEEDED = "AFTER_SALE_QUANTITY_EXCEEDED"
    REFUND_EXCEEDS_PAID = "REFUND_EXCEEDS_PAID"
    # consignment (CON-1..9)
    VOUCHER_REQUIRED = "VOUCHER_REQUIRED"
    VOUCHER_EXPIRED = "VOUCHER_EXPIRED"
    NOT_CONSIGNABLE = "NOT_CONSIGNABLE"
    SNAPUP_CLOSED = "SNAPUP_CLOSED"
    SNAPUP_ALREADY_JOINED = "SNAPUP_ALREADY_JOINED"
    # reports (CON-8)
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    # distribution (DIS-1..4, RISK-1)
    DISTRIBUTION_LEVELS_EXCEEDED = "DISTRIBUTION_LEVELS_EXCEEDED"
    COMMISSION_RATES_EXCEED_BASE = "COMMISSION_RATES_EXCEED_BASE"
    # becoming a distributor, distributor centre (DIS-3, DIS-5)
    ALREADY_DISTRIBUTOR = "ALREADY_DISTRIBUTOR"
    DISTRIBUTOR_APPLICATION_PENDING = "DISTRIBUTOR_APPLICATION_PENDING"
    DISTRIBUTOR_THRESHOLD_NOT_MET = "DISTRIBUTOR_THRESHOLD_NOT_MET"
    NOT_A_DISTRIBUTOR = "NOT_A_DISTRIBUTOR"
    # withdrawals (FIN-3)
    WITHDRAWAL_BELOW_MINIMUM = "WITHDRAWAL_BELOW_MINIMUM"
    WITHDRAWAL_DAILY_COUNT_EXCEEDED = "WITHDRAWAL_DAILY_COUNT_EXCEEDED"
    WITHDRAWAL_DAILY_AMOUNT_EXCEEDED = "WITHDRAWAL_DAILY_AMOUNT_EXCEEDED"
    DEBT_OUTSTANDING = "DEBT_OUTSTANDING"  # clawed-back commission, or a merchant's pending below zero
    INVALID_DESTINATION = "INVALID_DESTINATION"
    PAYOUT_CHANNEL_UNAVAILABLE = "PAYOUT_CHANNEL_UNAVAILABLE"
    # risk control (RISK-2)
    UNKNOWN_RISK_RULE_KIND = "UNKNOWN_RISK_RULE_KIND"
    INVALID_RISK_PARAMS = "INVALID_RISK_PARAMS"  # a rule's parameters do not fit its kind
    RISK_RULE_IN_USE = "RISK_RULE_IN_USE"  # a rule that opened cases is disabled, not deleted
    # grades and membership (DIS-6, MEM-1, MEM-4)
    DUPLICATE_GRADE_CODE = "DUPLICATE_GRADE_CODE"
    DUPLICATE_GRADE_RANK = "DUPLICATE_GRADE_RANK"
    GRADE_IN_USE = "GRADE_IN_USE"
    INVALID_GRADE_RULE = "INVALID_GRADE_RULE"
    MEMBERSHIP_PRICE_MISMATCH = "MEMBERSHIP_PRICE_MISMATCH"
    # regional agents and franchise stores (MEM-2, MEM-3)
    AGENT_REGION_TAKEN = "AGENT_REGION_TAKEN"  # the region already has a running agent
    STORE_CODE_INVALID = "STORE_CODE_INVALID"  # no active store has this invite code
    STORE_ALREADY_BOUND = "STORE_ALREADY_BOUND"  # the user is bound to a store already
    # offline store operations (STO-1)
    STORE_PAYMENT_CODE_INVALID = "STORE_PAYMENT_CODE_INVALID"  # forged, unknown, or another store's payment code
    STORE_PAYMENT_REQUEST_CLOSED = (
        "STORE_PAYMENT_REQUEST_CLOSED"  # a cashier's request already paid, being paid, cancelled or expired
    )
    STORE_CLOSED = "STORE_CLOSED"  # the store (or its merchant) does not take payments now
    STORE_PAYMENT_LIMIT_EXCEEDED = "STORE_PAYMENT_LIMIT_EXCEEDED"  # above STORE_PAYMENT_MAX_AMOUNT
    REFUND_WINDOW_CLOSED = "REFUND_WINDOW_CLOSED"  # past STORE_REFUND_DAYS after the payment
    # store cards (STO-2, STO-3)
    CARD_NOT_ACCEPTED = "CARD_NOT_ACCEPTED"  # the store does not accept the card (another store or merchant)
    TOP_UP_LIMIT_EXCEEDED = "TOP_UP_LIMIT_EXCEEDED"  # above MEMBER_CARD_MAX_TOP_UP
    CARD_NOT_REFUNDABLE = "CARD_NOT_REFUNDABLE"  # refunds of this kind of card are off (a setting)
    REDEMPTION_CODE_INVALID = "REDEMPTION_CODE_INVALID"  # unknown, used or expired one-time code
    CARD_EXPIRED = "CARD_EXPIRED"  # the punch card's validity is over
    CARD_USED_UP = "CARD_USED_UP"  # no use left on the punch card
    # bookable services and store delivery (STO-4, STO-5)
    SLOT_FULL = "SLOT_FULL"  # every place of the time slot is booked
    OUTSIDE_OPENING_HOURS = "OUTSIDE_OPENING_HOURS"  # no slot starts then (hours, past, too far ahead)
    CANCELLATION_WINDOW_CLOSED = "CANCELLATION_WINDOW_CLOSED"  # later than BOOKING_FREE_CANCEL_HOURS before the slot
    OUT_OF_DELIVERY_RANGE = "OUT_OF_DELIVERY_RANGE"  # the address is beyond the store's delivery radius
    BELOW_MINIMUM_ORDER = "BELOW_MINIMUM_ORDER"  # the goods do not reach the store's minimum for delivery
    STORE_DELIVERY_UNAVAILABLE = (
        "STORE_DELIVERY_UNAVAILABLE"  # the store does not deliver (or the address has no coordinates)
    )
    # sensitive data and real-name verification (RISK-3)
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    ID_NUMBER_TAKEN = "ID_NUMBER_TAKEN"
    IDENTITY_ALREADY_SUBMITTED = "IDENTITY_ALREADY_SUBMITTED"
    IDENTITY_REQUIRED = "IDENTITY_REQUIRED"
    PHONE_TAKEN = "PHONE_TAKEN"
    # marketing: promotions, coupons, coins (MKT-1, MKT-2, MKT-4)
    COUPON_NOT_APPLICABLE = "COUPON_NOT_APPLICABLE"  # the coupon covers nothing in this cart
    THRESHOLD_NOT_MET = "THRESHOLD_NOT_MET"  # the covered goods do not reach the coupon's threshold
    EXCLUSIVE_DISCOUNTS = "EXCLUSIVE_DISCOUNTS"  # coupons that do not stack, chosen together
    COINS_OVER_CAP = "COINS_OVER_CAP"  # more coins than the product, order or rule allows
    COUPONS_EXHAUSTED = "COUPONS_EXHAUSTED"  # every coupon of the template is taken
    COUPON_LIMIT_REACHED = "COUPON_LIMIT_REACHED"  # the user holds the template's per-user limit
    COUPON_UNAVAILABLE = "COUPON_UNAVAILABLE"  # the template is not active, or its window is over
    COUPON_EXPIRED = "COUPON_EXPIRED"  # the user's coupon expired
    # bargains (MKT-3)
    BARGAIN_OWN = "BARGAIN_OWN"  # a user helping their own bargain
    BARGAIN_HELPED_ALREADY = "BARGAIN_HELPED_ALREADY"  # the friend (or their device / IP) helped this bargain
    BARGAIN_CLOSED = "BARGAIN_CLOSED"  # the bargain expired, reached its floor, was bought, or its activity ended
    BARGAIN_BOUGHT = "BARGAIN_BOUGHT"  # the bargain is held by a checkout already
    # points mall and lottery (MKT-4)
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"  # the buyer holds fewer points than the order or draw costs
    LOTTERY_NOT_OPEN = "LOTTERY_NOT_OPEN"  # before the lottery opens, after it closed, or it was ended
    LOTTERY_DAILY_LIMIT = "LOTTERY_DAILY_LIMIT"  # the user drew the activity's daily limit today
    PROBABILITIES_EXCEED_ONE = "PROBABILITIES_EXCEED_ONE"  # a lottery's prize probabilities sum above 1
    # flash sales (MKT-3)
    FLASH_NOT_STARTED = "FLASH_NOT_STARTED"  # the session has not opened yet
    FLASH_ENDED = "FLASH_ENDED"  # the session is over (or was cancelled)
    SOLD_OUT = "SOLD_OUT"  # no flash unit left
    LIMIT_REACHED = "LIMIT_REACHED"  # the buyer holds the item's per-user limit
    # group buying (MKT-3)
    GROUP_NOT_OPEN = "GROUP_NOT_OPEN"  # the group activity has not started, is over or was ended
    GROUP_TEAM_FULL = "GROUP_TEAM_FULL"  # every seat of the team is held
    GROUP_TEAM_CLOSED = "GROUP_TEAM_CLOSED"  # the team's time ran out, it failed, or it is not open yet
    GROUP_TEAM_FAILED = "GROUP_TEAM_FAILED"  # paying for a seat of a team that failed (or was cancelled)
    GROUP_NOT_FORMED = "GROUP_NOT_FORMED"  # a group order waits for its team to be full before fulfilment
    # share posters (MKT-5)
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"  # an image to draw is over POSTER_IMAGE_MAX_BYTES (or pixels)
    IMAGE_INVALID = "IMAGE_INVALID"  # an image URL that answers something that is not an image
    IMAGE_UNREACHABLE = "IMAGE_UNREACHABLE"  # an image URL that is slow, fails or is refused (a private address)
    POSTER_FONT_MISSING = "POSTER_FONT_MISSING"  # the configured poster font is not installed
    # withdrawals paid to the verified payee only (FIN-3 with RISK-3)
    DESTINATION_NAME_MISMATCH = "DESTINATION_NAME_MISMATCH"  # the holder name is not the user's verified real name


class DomainError(Exception):
    """A business rule refused the operation. Nothing was changed."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.message!r}, field={self.field!r})"
