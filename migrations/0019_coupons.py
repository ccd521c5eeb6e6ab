"""Coupons (MKT-1): templates (issued by the platform or a merchant), each user's claim
count per template, and the coupons users hold."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CouponTemplate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='coupon_templates', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=64)),
                ('description', fields.CharField(default='', max_length=256)),
                ('kind', fields.CharField(max_length=16)),
                ('amount', fields.BigIntField(default=0)),
                ('rate_bp', fields.IntField(default=0)),
                ('cap', fields.BigIntField(default=0)),
                ('threshold', fields.BigIntField(default=0)),
                ('scope', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('stacks', fields.BooleanField(default=False)),
                ('valid_from', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('valid_days', fields.IntField(default=0)),
                ('total_quantity', fields.IntField()),
                ('per_user_limit', fields.IntField(default=1)),
                ('claimed_count', fields.IntField(default=0)),
                ('claimable', fields.BooleanField(default=True)),
                ('status', fields.CharField(default='DRAFT', db_index=True, max_length=16)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('activated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'coupon_template', 'app': 'models', 'indexes': [Index(fields=['status', 'claimable'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CouponClaim',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('template', fields.ForeignKeyField('models.CouponTemplate', source_field='template_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='coupon_claims', on_delete=OnDelete.CASCADE)),
                ('claimed', fields.IntField(default=0)),
            ],
            options={'table': 'coupon_claim', 'app': 'models', 'unique_together': (('template', 'user'),), 'pk_attr': 'id', 'table_description': 'How many coupons of a template a user claimed: raised by a conditional UPDATE'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserCoupon',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('template', fields.ForeignKeyField('models.CouponTemplate', source_field='template_id', db_index=True, db_constraint=True, to_field='id', related_name='coupons', on_delete=OnDelete.RESTRICT)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='coupons', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(max_length=8)),
                ('status', fields.CharField(default='CLAIMED', db_index=True, max_length=16)),
                ('valid_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('payment_id', fields.BigIntField(null=True, db_index=True)),
                ('order_id', fields.BigIntField(null=True, db_index=True)),
                ('discount', fields.BigIntField(default=0)),
                ('issued_by_id', fields.BigIntField(null=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'user_coupon', 'app': 'models', 'indexes': [Index(fields=['user_id', 'status']), Index(fields=['template_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A coupon a user holds. CLAIMED (or RETURNED: given back after a use) -> USED by a'},
            bases=['Model'],
        ),
    ]
