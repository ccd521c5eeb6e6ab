from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_distcentre')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PayoutNotification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=32)),
                ('notify_id', fields.CharField(max_length=64)),
                ('payout_no', fields.CharField(max_length=40)),
                ('succeeded', fields.BooleanField()),
                ('amount', fields.BigIntField()),
                ('outcome', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payout_notification', 'app': 'models', 'unique_together': (('channel', 'notify_id'),), 'pk_attr': 'id', 'table_description': "A payout channel's result callback, recorded once per notify id: repeats answer the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxPayout',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payout_no', fields.CharField(unique=True, max_length=40)),
                ('trade_no', fields.CharField(unique=True, max_length=40)),
                ('amount', fields.BigIntField()),
                ('status', fields.CharField(default='PROCESSING', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sandbox_payout', 'app': 'models', 'pk_attr': 'id', 'table_description': "The sandbox payout channel's own record of a transfer (stands for the bank's side)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Withdrawal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner_type', fields.CharField(max_length=16)),
                ('owner_id', fields.BigIntField()),
                ('requested_by_id', fields.BigIntField()),
                ('amount', fields.BigIntField()),
                ('fee', fields.BigIntField()),
                ('net', fields.BigIntField()),
                ('currency', fields.CharField(default='CNY', max_length=8)),
                ('status', fields.CharField(db_index=True, max_length=16)),
                ('idempotency_key', fields.CharField(max_length=128)),
                ('request_hash', fields.CharField(max_length=64)),
                ('business_day', fields.DateField()),
                ('destination_kind', fields.CharField(max_length=16)),
                ('bank_name', fields.CharField(default='', max_length=64)),
                ('holder_name_cipher', fields.TextField(default='', unique=False)),
                ('account_no_cipher', fields.TextField(default='', unique=False)),
                ('account_no_hash', fields.CharField(default='', db_index=True, max_length=64)),
                ('risk_reason', fields.CharField(default='', max_length=256)),
                ('channel', fields.CharField(default='', max_length=32)),
                ('payout_no', fields.CharField(null=True, unique=True, max_length=40)),
                ('channel_reference', fields.CharField(default='', max_length=128)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_by_id', fields.BigIntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reject_reason', fields.CharField(default='', max_length=256)),
                ('failure_reason', fields.CharField(default='', max_length=256)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'withdrawal', 'app': 'models', 'unique_together': (('owner_type', 'owner_id', 'idempotency_key'),), 'indexes': [Index(fields=['owner_type', 'owner_id', 'business_day'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WithdrawalStatusChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('withdrawal', fields.ForeignKeyField('models.Withdrawal', source_field='withdrawal_id', db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.RESTRICT)),
                ('from_status', fields.CharField(max_length=16)),
                ('to_status', fields.CharField(max_length=16)),
                ('actor_id', fields.BigIntField(null=True)),
                ('reason', fields.CharField(default='', max_length=256)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'withdrawal_status_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Audit trail: every transition, who made it and why.'},
            bases=['Model'],
        ),
    ]
