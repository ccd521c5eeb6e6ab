"""The material library (MKT-5): promotion materials (images, copy, video links) tied to a
product, a category or an activity; the distributor's tracking link's clicks and sign-ups
remember the material they came through (per-material share statistics, DIS-5). Every
declared index is made where missing at the end (as 0035)."""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

restore_declared_indexes = importlib.import_module('migrations.0018_indexes').restore_declared_indexes

class Migration(migrations.Migration):
    dependencies = [('models', '0039_bargains')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Material',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=8)),
                ('title', fields.CharField(max_length=64)),
                ('body', fields.TextField(default='', unique=False)),
                ('image_urls', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('video_url', fields.CharField(default='', max_length=512)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.RESTRICT)),
                ('category', fields.ForeignKeyField('models.Category', source_field='category_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.RESTRICT)),
                ('activity_kind', fields.CharField(null=True, max_length=16)),
                ('activity_id', fields.BigIntField(null=True)),
                ('status', fields.CharField(default='PUBLISHED', max_length=16)),
                ('sort_order', fields.IntField(default=0)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'material', 'app': 'models', 'indexes': [Index(fields=['status', 'sort_order', 'id']), Index(fields=['activity_kind', 'activity_id'])], 'pk_attr': 'id', 'table_description': 'A promotion material (MKT-5, 素材): a poster image, copy text or a short video link for'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='InviteClick',
            name='material_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddIndex(
            model_name='InviteClick',
            index=Index(fields=['material_id', 'created_at']),
        ),
        ops.AddField(
            model_name='InviteSignup',
            name='material_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddIndex(
            model_name='InviteSignup',
            index=Index(fields=['material_id', 'created_at']),
        ),
        ops.RunPython(restore_declared_indexes),
    ]
