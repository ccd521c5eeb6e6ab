"""A coupon's "expires soon" notice (MKT-1): when its holder was told, so
the EXPIRING event is sent once per coupon."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0032_flash_sales')]

    initial = False

    operations = [
        ops.AddField(
            model_name='UserCoupon',
            name='expiring_sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
