"""Indexes for the foreign keys and lookups of flash sales, store cards, bookings and store
delivery (the index test: every foreign key leads an index, every query can use one).

As in 0018: each one CREATE INDEX (Tortoise's AlterField rebuilds the table on SQLite, which
drops the table's other indexes and fails where other rows reference it), then every declared
index where it is missing."""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

_0018 = importlib.import_module('migrations.0018_indexes')
IndexField, restore_declared_indexes = _0018.IndexField, _0018.restore_declared_indexes

class Migration(migrations.Migration):
    dependencies = [('models', '0034_gift_lines')]

    initial = False

    operations = [
        IndexField(
            model_name='Booking',
            name='item',
            field=fields.ForeignKeyField('models.ServiceItem', source_field='item_id', db_index=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Booking',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Booking',
            name='slot',
            field=fields.ForeignKeyField('models.BookingSlot', source_field='slot_id', db_index=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='FlashItem',
            name='merchant',
            field=fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='flash_items', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='FlashItem',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='flash_items', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='FlashItem',
            name='sku',
            field=fields.ForeignKeyField('models.Sku', source_field='sku_id', db_index=True, db_constraint=True, to_field='id', related_name='flash_items', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='FlashSession',
            name='ends_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
        ),
        IndexField(
            model_name='MemberCardEntry',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='member_card_entries', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='MemberCardEntry',
            name='store',
            field=fields.ForeignKeyField('models.Store', source_field='store_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='member_card_entries', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='MemberCardPlan',
            name='store',
            field=fields.ForeignKeyField('models.Store', source_field='store_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='member_card_plans', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='PunchCard',
            name='merchant',
            field=fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='punch_cards', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='PunchCard',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='punch_cards', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='PunchCardCode',
            name='store',
            field=fields.ForeignKeyField('models.Store', source_field='store_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='punch_card_uses', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='ServiceItem',
            name='merchant',
            field=fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='service_offers', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='ServiceItem',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='service_offers', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='ServiceItem',
            name='sku',
            field=fields.ForeignKeyField('models.Sku', source_field='sku_id', db_index=True, db_constraint=True, to_field='id', related_name='service_offers', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='ServiceItem',
            name='store',
            field=fields.ForeignKeyField('models.Store', source_field='store_id', db_index=True, db_constraint=True, to_field='id', related_name='service_offers', on_delete=OnDelete.CASCADE),
        ),
        ops.AddIndex(
            model_name='StoreDelivery',
            index=Index(fields=['provider', 'external_id']),
        ),
        ops.RunPython(restore_declared_indexes),
    ]
