"""Folded journal sums (FIN-5): per final business day or hour, the sums the finance reports
read instead of re-summing the journal, and the slots already folded."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0024_store_payments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FoldedSlot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('span', fields.CharField(max_length=1)),
                ('slot_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report_folded_slot', 'app': 'models', 'unique_together': (('slot_start', 'span'),), 'pk_attr': 'id', 'table_description': 'A slot whose sums are in report_journal_sum (also when it had no entries at all).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JournalSum',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('span', fields.CharField(max_length=1)),
                ('slot_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('day', fields.DateField()),
                ('kind', fields.CharField(max_length=32)),
                ('owner_type', fields.CharField(max_length=16)),
                ('purpose', fields.CharField(max_length=32)),
                ('amount', fields.BigIntField()),
            ],
            options={'table': 'report_journal_sum', 'app': 'models', 'indexes': [Index(fields=['slot_start', 'span'])], 'pk_attr': 'id', 'table_description': "The sum of a final slot's entries per transaction kind and account (owner type, purpose)."},
            bases=['Model'],
        ),
    ]
