"""Priced orders (MKT-1/2/4): each order's and line's discounts, coins and the platform-funded part."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_coupons')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='coins',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='coins_amount',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='discount_amount',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='platform_funded',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='shipping_discount',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='coins',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='coins_amount',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='discount_amount',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='discounts',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
