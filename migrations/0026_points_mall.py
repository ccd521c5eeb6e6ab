"""The points mall (MKT-4, CAT-2 POINTS zone): the points each order and order line costs, and the
part of an order's points that paid its shipping."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0025_report_sums')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='points',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='shipping_points',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='points',
            field=fields.BigIntField(default=0, db_default=0),
        ),
    ]
