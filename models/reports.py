"""Folded journal sums for the finance reports (FIN-5): a cache derived from the journal,
written once per final slot of time (services.finance.journal_sums), never edited."""

from tortoise import fields
from tortoise.models import Model


class JournalSum(Model):
    """The sum of a final slot's entries per transaction kind and account (owner type, purpose)."""

    id = fields.BigIntField(primary_key=True)
    span = fields.CharField(max_length=1)  # D: a business day, H: an hour
    slot_start = fields.DatetimeField()  # UTC
    day = fields.DateField()  # the business day the slot is part of
    kind = fields.CharField(max_length=32)
    owner_type = fields.CharField(max_length=16)
    purpose = fields.CharField(max_length=32)
    amount = fields.BigIntField()

    class Meta:
        table = "report_journal_sum"
        indexes = (("slot_start", "span"),)


class FoldedSlot(Model):
    """A slot whose sums are in report_journal_sum (also when it had no entries at all)."""

    id = fields.BigIntField(primary_key=True)
    span = fields.CharField(max_length=1)
    slot_start = fields.DatetimeField()

    class Meta:
        table = "report_folded_slot"
        unique_together = (("slot_start", "span"),)
