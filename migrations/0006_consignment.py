from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_orders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsignmentPolicy',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.OneToOneField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='consignment_policy', on_delete=OnDelete.CASCADE)),
                ('fee_bp', fields.IntField(null=True)),
                ('reward_kind', fields.CharField(null=True, max_length=8)),
                ('reward_value', fields.BigIntField(null=True)),
                ('updated_by_id', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'consignment_policy', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Per wholesale product overrides of the consignment fee and reward (settings otherwise).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsignmentQueue',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.OneToOneField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='consignment_queue', on_delete=OnDelete.CASCADE)),
                ('next_key', fields.BigIntField(default=1)),
                ('head_key', fields.BigIntField(default=1)),
            ],
            options={'table': 'consignment_queue', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One per wholesale product: its lock row and key counters.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GradeChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='grade_changes', on_delete=OnDelete.CASCADE)),
                ('from_grade', fields.CharField(default='', max_length=16)),
                ('to_grade', fields.CharField(max_length=16)),
                ('source', fields.CharField(max_length=16)),
                ('reference_id', fields.CharField(default='', max_length=64)),
                ('actor_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'grade_change', 'app': 'models', 'pk_attr': 'id', 'table_description': "Every change of a user's grade: who or what changed it, from what, to what."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SnapUpSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='snapup_sessions', on_delete=OnDelete.RESTRICT)),
                ('sku', fields.ForeignKeyField('models.Sku', source_field='sku_id', db_constraint=True, to_field='id', related_name='snapup_sessions', on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('units', fields.IntField()),
                ('remaining', fields.IntField()),
                ('consolation_coins', fields.BigIntField(default=0)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'snapup_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A timed wholesale snap-up (抢购, CON-7): limited units, voucher holders compete.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SnapUpEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.SnapUpSession', source_field='session_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='snapup_entries', on_delete=OnDelete.CASCADE)),
                ('result', fields.CharField(max_length=8)),
                ('order_id', fields.BigIntField(null=True)),
                ('coins', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'snapup_entry', 'app': 'models', 'unique_together': (('session', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserGrade',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='grade', on_delete=OnDelete.CASCADE)),
                ('grade', fields.CharField(max_length=16)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'user_grade', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Voucher',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='vouchers', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(default='WHOLESALE', max_length=16)),
                ('scope_product_id', fields.BigIntField(null=True)),
                ('status', fields.CharField(default='UNUSED', db_index=True, max_length=16)),
                ('source_line_id', fields.BigIntField(null=True, db_index=True)),
                ('used_line_id', fields.BigIntField(null=True, db_index=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'voucher', 'app': 'models', 'indexes': [Index(fields=['owner_id', 'status', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'One wholesale voucher (批发券): the right to buy one wholesale unit.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WholesaleUnit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='wholesale_units', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='wholesale_units', on_delete=OnDelete.RESTRICT)),
                ('order_line', fields.ForeignKeyField('models.OrderLine', source_field='order_line_id', db_constraint=True, to_field='id', related_name='wholesale_units', on_delete=OnDelete.RESTRICT)),
                ('cost', fields.BigIntField()),
                ('status', fields.CharField(default='HELD', db_index=True, max_length=16)),
                ('queue_key', fields.BigIntField(null=True)),
                ('consigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('matched_line_id', fields.BigIntField(null=True, db_index=True)),
                ('matched_order_id', fields.BigIntField(null=True, db_index=True)),
                ('buyer_id', fields.BigIntField(null=True)),
                ('sale_price', fields.BigIntField(null=True)),
                ('fee', fields.BigIntField(null=True)),
                ('reward', fields.BigIntField(null=True)),
                ('matched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wholesale_unit', 'app': 'models', 'indexes': [Index(fields=['product_id', 'status', 'queue_key']), Index(fields=['owner_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One unit bought in the wholesale zone, and what became of it.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OrderLine',
            name='consign_on_payment',
            field=fields.BooleanField(default=False),
        ),
    ]
