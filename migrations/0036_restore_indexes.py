"""Every declared index where it is missing, for a SQLite database that ran 0035 before it
created its indexes one by one: its table rebuilds had dropped the rebuilt tables' indexes
(store bookings, service items, flash items, card entries). A no-op elsewhere."""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops

restore_declared_indexes = importlib.import_module('migrations.0018_indexes').restore_declared_indexes


class Migration(migrations.Migration):
    dependencies = [('models', '0035_store_and_flash_indexes')]

    initial = False

    operations = [
        ops.RunPython(restore_declared_indexes),
    ]
