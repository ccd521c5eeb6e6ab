import re

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class RemoveCommissionUnique(ops.RemoveConstraint):
    """Drop the old unique (line, beneficiary, level) of `commission` (a kind joins it).

    SQLite keeps that constraint inside CREATE TABLE, where no DROP INDEX reaches it (Tortoise
    tries one and fails): there the table is rebuilt from its own definition without the
    clause, rows and indexes kept (statements on the migration's own connection, no
    executescript: that would commit behind the migration's back). PostgreSQL drops the
    constraint the ordinary way."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor or state_editor.DIALECT != "sqlite" or state_editor.collect_sql:
            return await super().database_forward(app_label, old_state, new_state, state_editor)
        client = state_editor.client
        _, tables = await client.execute_query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'commission'")
        _, indexes = await client.execute_query(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'commission' AND sql IS NOT NULL"
        )
        create = tables[0]["sql"]
        new_create, found = re.subn(r',\s*CONSTRAINT "[^"]+" UNIQUE \("line_id", "beneficiary_id", "level"\)', "", create)
        if found != 1:
            raise RuntimeError("commission: the old unique constraint was not found")
        new_create = new_create.replace('CREATE TABLE "commission"', 'CREATE TABLE "new__commission"', 1)
        await client.execute_query(new_create)
        await client.execute_query('INSERT INTO "new__commission" SELECT * FROM "commission"')
        await client.execute_query('DROP TABLE "commission"')
        await client.execute_query('ALTER TABLE "new__commission" RENAME TO "commission"')
        for row in indexes:
            await client.execute_query(row["sql"])


class Migration(migrations.Migration):
    dependencies = [('models', '0013_settlement')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AgentAssignment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='agent_assignments', on_delete=OnDelete.RESTRICT)),
                ('level', fields.IntField()),
                ('region_code', fields.CharField(db_index=True, max_length=12)),
                ('active_region', fields.CharField(null=True, unique=True, max_length=12)),
                ('assigned_by_id', fields.BigIntField(null=True)),
                ('assigned_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_by_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'agent_assignment', 'app': 'models', 'indexes': [Index(fields=['user_id', 'ended_at'])], 'pk_attr': 'id', 'table_description': 'A user appointed agent of one region at one level (1 province, 2 city, 3 county).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerSettings',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('province_rate_bp', fields.IntField()),
                ('city_rate_bp', fields.IntField()),
                ('county_rate_bp', fields.IntField()),
                ('store_share_bp', fields.IntField()),
                ('pickup_reward', fields.BigIntField()),
                ('updated_by_id', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'partner_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Agent rates and franchise terms: one row (id 1), saved by an admin. Until the first'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerSettingsChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor_id', fields.BigIntField(null=True)),
                ('before', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_settings_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Audit trail of the agent and franchise settings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreFranchise',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store', fields.OneToOneField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='franchise', on_delete=OnDelete.CASCADE)),
                ('franchisee', fields.ForeignKeyField('models.User', source_field='franchisee_id', db_constraint=True, to_field='id', related_name='franchised_stores', on_delete=OnDelete.RESTRICT)),
                ('assigned_by_id', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'store_franchise', 'app': 'models', 'pk_attr': 'id', 'table_description': "The franchisee of a store: the user who earns the store's share and pickup rewards."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreFranchiseChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store_id', fields.BigIntField(db_index=True)),
                ('before_user_id', fields.BigIntField(null=True)),
                ('after_user_id', fields.BigIntField()),
                ('actor_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'store_franchise_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Audit trail of franchisee assignments.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='store_membership', on_delete=OnDelete.CASCADE)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('bound_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'store_member', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A user bound to a franchise store through its invite code (one store per user, for good).'},
            bases=['Model'],
        ),
        RemoveCommissionUnique(
            model_name='Commission',
            name=None,
            fields=['line', 'beneficiary', 'level'],
        ),
        ops.AlterModelOptions(
            name='Commission',
            options={'table': 'commission', 'app': 'models', 'unique_together': (('line', 'beneficiary', 'level', 'kind'),), 'indexes': [Index(fields=['beneficiary_id', 'status']), Index(fields=['status', 'order_id']), Index(fields=['created_at', 'beneficiary_id'])], 'pk_attr': 'id', 'table_description': 'What one beneficiary earns at one level on one order line (of one kind).'},
        ),
        ops.AddField(
            model_name='Commission',
            name='booked_refunded_quantity',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Commission',
            name='kind',
            field=fields.CharField(default='DISTRIBUTION', db_default='DISTRIBUTION', max_length=16),
        ),
        ops.AddField(
            model_name='Commission',
            name='region_code',
            field=fields.CharField(default='', db_default='', max_length=12),
        ),
        ops.AddField(
            model_name='Commission',
            name='store_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddConstraint(
            model_name='Commission',
            constraint=UniqueConstraint(fields=('line', 'beneficiary', 'level', 'kind'), name=None),
        ),
    ]
