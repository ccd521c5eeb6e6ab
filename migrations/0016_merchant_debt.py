"""Merchant debt after settlement: MERCHANT_PENDING accounts may go negative (a refund of
an already-settled order that neither pending nor settled money covers; services.orders.payments,
services.ledger.ledger.MERCHANT_NEGATIVE_ALLOWED). New accounts are created that way; this marks
the existing ones. Data only."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = "UPDATE ledger_account SET allow_negative = TRUE WHERE owner_type = 'MERCHANT' AND purpose = 'MERCHANT_PENDING'"
# Back: only where no debt is outstanding (a negative balance must stay allowed).
BACKWARD = ("UPDATE ledger_account SET allow_negative = FALSE "
            "WHERE owner_type = 'MERCHANT' AND purpose = 'MERCHANT_PENDING' AND balance >= 0")


class Migration(migrations.Migration):
    dependencies = [('models', '0015_sensitive')]

    operations = [
        ops.RunSQL([FORWARD], [BACKWARD]),
    ]
