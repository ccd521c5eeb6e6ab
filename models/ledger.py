"""Double-entry ledger (FIN-1): accounts, journal transactions and their entries.

Balances are a cached sum of entries, changed only together with the entries that
justify them, by conditional UPDATEs. Journal rows are never updated or deleted.
"""

from tortoise import fields
from tortoise.models import Model


class LedgerAccount(Model):
    id = fields.BigIntField(primary_key=True)
    owner_type = fields.CharField(max_length=16)  # USER / MERCHANT / PLATFORM
    owner_id = fields.BigIntField(default=0)  # 0 for platform accounts
    purpose = fields.CharField(max_length=32)  # WALLET, COMMISSION_PENDING, CLEARING, ...
    currency = fields.CharField(max_length=8)  # CNY, or COIN / POINT for the virtual units
    balance = fields.BigIntField(default=0)  # minor units (fen)
    # Only platform contra accounts (money entering/leaving the platform) may go negative.
    allow_negative = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_account"
        unique_together = (("owner_type", "owner_id", "purpose", "currency"),)


class JournalTransaction(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)  # business reason: ORDER_PAYMENT, REFUND, ...
    idempotency_key = fields.CharField(max_length=128, null=True, unique=True)
    request_hash = fields.CharField(max_length=64, default="")
    reference_type = fields.CharField(max_length=32, default="")
    reference_id = fields.CharField(max_length=64, default="")
    memo = fields.CharField(max_length=256, default="")
    actor_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "ledger_transaction"


class JournalEntry(Model):
    id = fields.BigIntField(primary_key=True)
    transaction = fields.ForeignKeyField(
        "models.JournalTransaction", related_name="entries", on_delete=fields.RESTRICT, db_index=True
    )
    account = fields.ForeignKeyField("models.LedgerAccount", related_name="entries", on_delete=fields.RESTRICT)
    amount = fields.BigIntField()  # signed; a transaction's amounts sum to zero per currency
    balance_after = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_entry"
        indexes = (("account_id", "id"),)
