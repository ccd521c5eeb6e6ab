"""Gift lines (MKT-2): a free order line added by a gift promotion."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0033_coupon_expiring')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OrderLine',
            name='is_gift',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
