"""A partial index on the order lines of the consignment sales zones (RETAIL, WHOLESALE), for
the admin statistics (`services.consignment.stats`: orders paid in a range JOIN their lines in
those zones). Without it PostgreSQL read every order line of the shop when few lines are in
those zones (its estimate), a parallel sequential scan of 1,500,000 lines: 130 ms per call on a
1,000,000-order shop (bench/growth.py). Only lines of those zones are in it, so an order of
other zones maintains nothing more.

Plain SQL that SQLite and PostgreSQL both run. The model cannot declare a partial index, so the
autodetector does not know it: a later migration that makes SQLite rebuild `order_line` must
create it again (tests/services/test_indexes.py checks that it exists on PostgreSQL).

Not CONCURRENTLY: it runs in the migration's transaction; on a large PostgreSQL database, run it
when writes are quiet."""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEX = "order_line_sales_zone_idx"
FORWARD = [f"CREATE INDEX IF NOT EXISTS {INDEX} ON order_line (order_id) WHERE zone IN ('RETAIL', 'WHOLESALE')"]
BACKWARD = [f"DROP INDEX IF EXISTS {INDEX}"]


class Migration(migrations.Migration):
    dependencies = [("models", "0021_order_buyer_paid_index")]

    initial = False

    operations = [
        ops.RunSQL(FORWARD, BACKWARD),
    ]
