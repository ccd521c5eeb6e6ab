"""Indexes for every foreign key and every column the code filters on (checked by
tests/services/test_indexes.py on PostgreSQL): the payment step read `orders.payment_id`
and `order_line.order_id` by scanning both tables.

Then every index the models declare, where it is missing (restore_declared_indexes): the
sign-in codes' `phone_hash` index was never created (Tortoise's AddField ignores a field's
db_index), and on SQLite the tables that earlier migrations rebuilt had lost theirs."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class IndexField(ops.AlterField):
    """An AlterField that only turns a field's db_index on: one CREATE INDEX, under the name
    Tortoise gives a field's index. (Tortoise's AlterField rebuilds the table on SQLite, which
    fails on a table other rows reference.) Not CONCURRENTLY: it runs in the migration's
    transaction; on a large PostgreSQL database, run it when writes are quiet."""

    def _index(self, editor, model):
        column = model._meta.fields_map[self.name].source_field or model._meta.fields_db_projection[self.name]
        table = model._meta.db_table
        return editor._generate_index_name_for_table("idx", table, [column]), table, column

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            name, table, column = self._index(state_editor, new_state.apps.get_model(f"{app_label}.{self.model_name}"))
            await state_editor._run_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            name, _, _ = self._index(state_editor, new_state.apps.get_model(f"{app_label}.{self.model_name}"))
            await state_editor._run_sql(f'DROP INDEX IF EXISTS "{name}"')


def _column(model, name: str) -> str:
    field = model._meta.fields_map.get(name)
    if field is None:  # Meta.indexes may name columns (`upline_id`)
        return name
    return getattr(field, "source_field", None) or model._meta.fields_db_projection.get(name, name)


async def restore_declared_indexes(apps, schema_editor) -> None:
    """Every index and unique-together the models declare, where it is missing: SQLite lost
    those of the tables earlier migrations rebuilt (orders kept only order_no's, so two
    pick-up codes of one store could collide). A no-op where they exist (PostgreSQL): the
    names are Tortoise's, so IF NOT EXISTS finds them."""
    for app in apps.apps.values():
        for model in app.values():
            meta, table = model._meta, model._meta.db_table
            wanted = [
                [_column(model, name)]
                for name, field in meta.fields_map.items()
                if getattr(field, "index", False) and not field.pk and not field.unique
            ]
            wanted += [[_column(model, name) for name in getattr(group, "fields", group)] for group in meta.indexes]
            unique = [[_column(model, name) for name in group] for group in meta.unique_together]
            for kind, prefix, groups in (("INDEX", "idx", wanted), ("UNIQUE INDEX", "uid", unique)):
                for columns in groups:
                    name = schema_editor._generate_index_name_for_table(prefix, table, columns)
                    quoted = ", ".join(f'"{column}"' for column in columns)
                    await schema_editor.client.execute_script(
                        f'CREATE {kind} IF NOT EXISTS "{name}" ON "{table}" ({quoted})'
                    )


class Migration(migrations.Migration):
    dependencies = [('models', '0017_job_failures')]

    initial = False

    operations = [
        IndexField(
            model_name='Address',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='AfterSale',
            name='buyer',
            field=fields.ForeignKeyField('models.User', source_field='buyer_id', db_index=True, db_constraint=True, to_field='id', related_name='after_sales', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='AfterSale',
            name='line',
            field=fields.ForeignKeyField('models.OrderLine', source_field='line_id', db_index=True, db_constraint=True, to_field='id', related_name='after_sales', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='AfterSale',
            name='merchant',
            field=fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='after_sales', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='AfterSale',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='after_sales', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='CartItem',
            name='sku',
            field=fields.ForeignKeyField('models.Sku', source_field='sku_id', db_index=True, db_constraint=True, to_field='id', related_name='cart_items', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='CartShare',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='cart_shares', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='Category',
            name='parent',
            field=fields.ForeignKeyField('models.Category', source_field='parent_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Commission',
            name='buyer',
            field=fields.ForeignKeyField('models.User', source_field='buyer_id', db_index=True, db_constraint=True, to_field='id', related_name='commissions_generated', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Commission',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='GradeChange',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='grade_changes', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='GradeRule',
            name='grade',
            field=fields.ForeignKeyField('models.Grade', source_field='grade_id', db_index=True, db_constraint=True, to_field='id', related_name='rules', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='JournalEntry',
            name='transaction',
            field=fields.ForeignKeyField('models.JournalTransaction', source_field='transaction_id', db_index=True, db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Merchant',
            name='owner',
            field=fields.ForeignKeyField('models.User', source_field='owner_id', db_index=True, db_constraint=True, to_field='id', related_name='owned_merchants', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='MerchantCategoryRate',
            name='category',
            field=fields.ForeignKeyField('models.Category', source_field='category_id', db_index=True, db_constraint=True, to_field='id', related_name='merchant_rates', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='MerchantReview',
            name='merchant',
            field=fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='MerchantStaff',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='merchant_jobs', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='Order',
            name='payment',
            field=fields.ForeignKeyField('models.Payment', source_field='payment_id', db_index=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='OrderLine',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='OrderLine',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='order_lines', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='OrderLine',
            name='sku',
            field=fields.ForeignKeyField('models.Sku', source_field='sku_id', db_index=True, db_constraint=True, to_field='id', related_name='order_lines', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='OrderStatusChange',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='status_changes', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='OutboundMessage',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='outbound_messages', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='RefreshToken',
            name='expires_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
        ),
        IndexField(
            model_name='RefreshToken',
            name='session',
            field=fields.ForeignKeyField('models.Session', source_field='session_id', db_index=True, db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='Refund',
            name='after_sale',
            field=fields.ForeignKeyField('models.AfterSale', source_field='after_sale_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Refund',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Refund',
            name='payment',
            field=fields.ForeignKeyField('models.Payment', source_field='payment_id', db_index=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='RiskCase',
            name='rule',
            field=fields.ForeignKeyField('models.RiskRule', source_field='rule_id', db_index=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='RiskHit',
            name='case',
            field=fields.ForeignKeyField('models.RiskCase', source_field='case_id', db_index=True, db_constraint=True, to_field='id', related_name='hits', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='Session',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='SnapUpEntry',
            name='order_id',
            field=fields.BigIntField(null=True, db_index=True),
        ),
        IndexField(
            model_name='SnapUpEntry',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='snapup_entries', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='SnapUpSession',
            name='ends_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
        ),
        IndexField(
            model_name='SnapUpSession',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='snapup_sessions', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='SnapUpSession',
            name='sku',
            field=fields.ForeignKeyField('models.Sku', source_field='sku_id', db_index=True, db_constraint=True, to_field='id', related_name='snapup_sessions', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='Store',
            name='merchant',
            field=fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='stores', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='StoreFranchise',
            name='franchisee',
            field=fields.ForeignKeyField('models.User', source_field='franchisee_id', db_index=True, db_constraint=True, to_field='id', related_name='franchised_stores', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='StoreMember',
            name='store',
            field=fields.ForeignKeyField('models.Store', source_field='store_id', db_index=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='StoreStaff',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='store_jobs', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='TrackingEvent',
            name='shipment',
            field=fields.ForeignKeyField('models.Shipment', source_field='shipment_id', db_index=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='UplineChange',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='upline_changes', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='UserGrade',
            name='grade',
            field=fields.CharField(db_index=True, max_length=16),
        ),
        IndexField(
            model_name='UserRole',
            name='role',
            field=fields.ForeignKeyField('models.Role', source_field='role_id', db_index=True, db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE),
        ),
        IndexField(
            model_name='WholesaleUnit',
            name='order_line',
            field=fields.ForeignKeyField('models.OrderLine', source_field='order_line_id', db_index=True, db_constraint=True, to_field='id', related_name='wholesale_units', on_delete=OnDelete.RESTRICT),
        ),
        IndexField(
            model_name='WithdrawalStatusChange',
            name='withdrawal',
            field=fields.ForeignKeyField('models.Withdrawal', source_field='withdrawal_id', db_index=True, db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(restore_declared_indexes),
    ]
