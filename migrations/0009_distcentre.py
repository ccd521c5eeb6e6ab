from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_statistics_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DistributorApplication',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='distributor_applications', on_delete=OnDelete.RESTRICT)),
                ('pending_user_id', fields.BigIntField(null=True, unique=True)),
                ('mode', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='PENDING', max_length=16)),
                ('spent', fields.BigIntField(default=0)),
                ('paid_orders', fields.IntField(default=0)),
                ('reason', fields.CharField(default='', max_length=256)),
                ('reviewed_by_id', fields.BigIntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'distributor_application', 'app': 'models', 'indexes': [Index(fields=['status', 'id']), Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': "A user's application to become a distributor, and its outcome."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DistributorSettings',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mode', fields.CharField(default='AUTO', max_length=16)),
                ('min_spent', fields.BigIntField(default=0)),
                ('min_paid_orders', fields.IntField(default=0)),
                ('match', fields.CharField(default='ALL', max_length=8)),
                ('updated_by_id', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'distributor_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How a user becomes a distributor: one row (id 1), saved by an admin. Until the first'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DistributorSettingsChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor_id', fields.BigIntField(null=True)),
                ('before', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'distributor_settings_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Audit trail of the distributor settings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InviteClick',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('distributor_id', fields.BigIntField()),
                ('code', fields.CharField(max_length=12)),
                ('visitor_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'distributor_invite_click', 'app': 'models', 'indexes': [Index(fields=['distributor_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One visit of a distributor's tracking link (`/r/{code}`). No raw IP is kept: only a"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InviteSignup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.BigIntField(unique=True)),
                ('upline_id', fields.BigIntField()),
                ('source', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'distributor_invite_signup', 'app': 'models', 'indexes': [Index(fields=['upline_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "A user bound to an upline through the upline's invite code (sign-up, link or first"},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Commission',
            index=Index(fields=['created_at', 'beneficiary_id']),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['upline_id', 'upline_bound_at']),
        ),
    ]
