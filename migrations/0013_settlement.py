from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_grades')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SettlementCharge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('line_id', fields.BigIntField(unique=True)),
                ('statement_id', fields.BigIntField(db_index=True)),
                ('merchant_id', fields.BigIntField()),
                ('rate_bp', fields.IntField()),
                ('goods', fields.BigIntField()),
                ('commission', fields.BigIntField()),
            ],
            options={'table': 'settlement_charge', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The platform commission charged on one order line, by the statement of its payment.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SettlementStatement',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_constraint=True, to_field='id', related_name='statements', on_delete=OnDelete.RESTRICT)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('status', fields.CharField(default='ISSUED', db_index=True, max_length=16)),
                ('after_entry_id', fields.BigIntField(default=0)),
                ('last_entry_id', fields.BigIntField(default=0)),
                ('entry_count', fields.IntField(default=0)),
                ('paid_goods', fields.BigIntField(default=0)),
                ('refunds', fields.BigIntField(default=0)),
                ('commission_charged', fields.BigIntField(default=0)),
                ('commission_returned', fields.BigIntField(default=0)),
                ('platform_commission', fields.BigIntField(default=0)),
                ('distribution_booked', fields.BigIntField(default=0)),
                ('distribution_reversed', fields.BigIntField(default=0)),
                ('consignment', fields.BigIntField(default=0)),
                ('other', fields.BigIntField(default=0)),
                ('net_payable', fields.BigIntField(default=0)),
                ('transaction_id', fields.BigIntField(null=True)),
                ('approved_by_id', fields.BigIntField(null=True)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'settlement_statement', 'app': 'models', 'unique_together': (('merchant_id', 'period_start'),), 'pk_attr': 'id', 'table_description': "One merchant's statement for one period. Immutable once issued, except its status"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SettlementLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('statement', fields.ForeignKeyField('models.SettlementStatement', source_field='statement_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('order_id', fields.BigIntField(null=True)),
                ('order_no', fields.CharField(default='', max_length=32)),
                ('paid_goods', fields.BigIntField(default=0)),
                ('refunds', fields.BigIntField(default=0)),
                ('platform_commission', fields.BigIntField(default=0)),
                ('distribution', fields.BigIntField(default=0)),
                ('consignment', fields.BigIntField(default=0)),
                ('other', fields.BigIntField(default=0)),
                ('net_payable', fields.BigIntField(default=0)),
            ],
            options={'table': 'settlement_line', 'app': 'models', 'indexes': [Index(fields=['statement_id', 'id'])], 'pk_attr': 'id', 'table_description': "A statement's figures for one order (order_id null: movements tied to no order)."},
            bases=['Model'],
        ),
    ]
