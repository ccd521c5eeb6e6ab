"""Group buying (MKT-3, 拼团): activities, their teams and the seats buyers hold."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0037_store_payment_requests')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GroupActivity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='group_activities', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='group_activities', on_delete=OnDelete.RESTRICT)),
                ('sku', fields.ForeignKeyField('models.Sku', source_field='sku_id', db_index=True, db_constraint=True, to_field='id', related_name='group_activities', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=64)),
                ('group_price', fields.BigIntField()),
                ('team_size', fields.IntField()),
                ('time_limit_minutes', fields.IntField()),
                ('per_user_limit', fields.IntField(default=1)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'group_activity', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A group buy (MKT-3, 拼团): one SKU at a group price for teams of `team_size` buyers who'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupTeam',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.GroupActivity', source_field='activity_id', db_index=True, db_constraint=True, to_field='id', related_name='teams', on_delete=OnDelete.RESTRICT)),
                ('leader_id', fields.BigIntField()),
                ('size', fields.IntField()),
                ('taken', fields.IntField(default=1)),
                ('paid', fields.IntField(default=0)),
                ('status', fields.CharField(default='PENDING', db_index=True, max_length=16)),
                ('ends_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'group_team', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A team of a group buy: PENDING until its leader pays, OPEN for others to join until'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team', fields.ForeignKeyField('models.GroupTeam', source_field='team_id', db_index=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('activity_id', fields.BigIntField(db_index=True)),
                ('user_id', fields.BigIntField(db_index=True)),
                ('payment_id', fields.BigIntField(db_index=True)),
                ('order_id', fields.BigIntField(null=True, db_index=True)),
                ('quantity', fields.IntField()),
                ('leader', fields.BooleanField(default=False)),
                ('status', fields.CharField(default='HELD', max_length=16)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'group_member', 'app': 'models', 'pk_attr': 'id', 'table_description': "A seat of a team held by a buyer's checkout: HELD while unpaid, PAID, RELEASED (the"},
            bases=['Model'],
        ),
    ]
