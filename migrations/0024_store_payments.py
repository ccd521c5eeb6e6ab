"""Virtual goods and in-store payment (STO-6, STO-1): a product's delivery kind (PHYSICAL,
VIRTUAL, REDEEMABLE; membership products become VIRTUAL), and the extra store permissions the
merchant's owner grants a store staff member (store.refund)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0023_promotions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Product',
            name='delivery_kind',
            field=fields.CharField(default='PHYSICAL', max_length=16),
        ),
        ops.AddField(
            model_name='StoreStaff',
            name='permissions',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.RunSQL(
            "UPDATE product SET delivery_kind = 'VIRTUAL' WHERE zone = 'MEMBERSHIP'",
            "UPDATE product SET delivery_kind = 'PHYSICAL' WHERE zone = 'MEMBERSHIP'",
        ),
    ]
