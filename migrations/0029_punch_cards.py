"""Punch cards (STO-3): a REDEEMABLE product's punch-card terms, the cards bought and their
one-time redemption codes (each redeemed code records its use)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0028_member_cards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PunchCard',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='punch_cards', on_delete=OnDelete.RESTRICT)),
                ('line', fields.OneToOneField('models.OrderLine', source_field='line_id', db_constraint=True, to_field='id', related_name='punch_card', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='punch_cards', on_delete=OnDelete.RESTRICT)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_constraint=True, to_field='id', related_name='punch_cards', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('models.User', source_field='holder_id', db_index=True, db_constraint=True, to_field='id', related_name='punch_cards', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=128)),
                ('uses_total', fields.IntField()),
                ('uses_used', fields.IntField(default=0)),
                ('price', fields.BigIntField()),
                ('earned', fields.BigIntField(default=0)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'punch_card', 'app': 'models', 'pk_attr': 'id', 'table_description': "A customer's punch card: bought as an order line, its price held as the merchant's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PunchCardCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card', fields.ForeignKeyField('models.PunchCard', source_field='card_id', db_index=True, db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', null=True, db_constraint=True, to_field='id', related_name='punch_card_uses', on_delete=OnDelete.RESTRICT)),
                ('redeemed_by_id', fields.BigIntField(null=True)),
                ('earned', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'punch_card_code', 'app': 'models', 'pk_attr': 'id', 'table_description': "A one-time code the customer's phone shows for one use, and once redeemed the use's record."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PunchCardTerms',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.OneToOneField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='punch_card_terms', on_delete=OnDelete.CASCADE)),
                ('uses', fields.IntField()),
                ('valid_days', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'punch_card_terms', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What one unit of a REDEEMABLE product sold as a punch card (次卡) holds.'},
            bases=['Model'],
        ),
    ]
