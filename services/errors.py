"""Domain errors with stable codes. The API turns them into `UserError`s or GraphQL errors."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    # generic
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    PAGE_SIZE_EXCEEDED = "PAGE_SIZE_EXCEEDED"
    SLOW_CONSUMER = "SLOW_CONSUMER"
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
    # access
    ROLE_NOT_FOUND = "ROLE_NOT_FOUND"
    # ledger
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    UNBALANCED_TRANSACTION = "UNBALANCED_TRANSACTION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    # state machines (merchants now; orders, after-sales ... later)
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
    # home content (CAT-5)
    INVALID_SCHEDULE = "INVALID_SCHEDULE"


class DomainError(Exception):
    """A business rule refused the operation. Nothing was changed."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.message!r}, field={self.field!r})"
