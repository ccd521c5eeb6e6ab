"""Member cards (STO-2): a merchant's card plans with their top-up rules, the customers' cards
(principal and bonus apart) and their statements."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0027_lottery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MemberCardPlan',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='member_card_plans', on_delete=OnDelete.RESTRICT)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', null=True, db_constraint=True, to_field='id', related_name='member_card_plans', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=64)),
                ('top_up_rules', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'member_card_plan', 'app': 'models', 'pk_attr': 'id', 'table_description': "A merchant's member card (门店会员卡): where it is accepted and its top-up rules."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberCard',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.MemberCardPlan', source_field='plan_id', db_constraint=True, to_field='id', related_name='cards', on_delete=OnDelete.RESTRICT)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='member_cards', on_delete=OnDelete.RESTRICT)),
                ('holder', fields.ForeignKeyField('models.User', source_field='holder_id', db_index=True, db_constraint=True, to_field='id', related_name='member_cards', on_delete=OnDelete.RESTRICT)),
                ('card_no', fields.CharField(unique=True, max_length=32)),
                ('principal', fields.BigIntField(default=0)),
                ('bonus', fields.BigIntField(default=0)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'member_card', 'app': 'models', 'unique_together': (('plan', 'holder'),), 'pk_attr': 'id', 'table_description': "One customer's card of a plan: principal (money paid in) and bonus (given) apart."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberCardEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card', fields.ForeignKeyField('models.MemberCard', source_field='card_id', db_index=True, db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=16)),
                ('principal', fields.BigIntField()),
                ('bonus', fields.BigIntField()),
                ('principal_after', fields.BigIntField()),
                ('bonus_after', fields.BigIntField()),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', null=True, db_constraint=True, to_field='id', related_name='member_card_entries', on_delete=OnDelete.RESTRICT)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='member_card_entries', on_delete=OnDelete.RESTRICT)),
                ('transaction_id', fields.BigIntField(null=True)),
                ('idempotency_key', fields.CharField(null=True, max_length=64)),
                ('request_hash', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'member_card_entry', 'app': 'models', 'unique_together': (('card', 'idempotency_key'),), 'pk_attr': 'id', 'table_description': "A line of a card's statement: what changed, principal and bonus apart, and what is left."},
            bases=['Model'],
        ),
    ]
