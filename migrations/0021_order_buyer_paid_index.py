"""orders (buyer_id, paid_at): the distributor centre's team performance reads its team's orders
paid in a date range (services.distribution.centre.performance, promotion statistics). With
only (buyer_id, created_at) and (paid_at), PostgreSQL's generic plan for the prepared statement
scanned every order paid in the range (79,000 for 30 days of a 1,000,000-order shop: 25-45 ms,
bench/growth.py) and kept the team's; now one index range per member.

Not CONCURRENTLY: it runs in the migration's transaction; on a large PostgreSQL database, run it
when writes are quiet."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('models', '0020_priced_lines')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['buyer_id', 'paid_at']),
        ),
    ]
