"""Share posters (MKT-5): poster templates (layout as data, a version raised on change)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0040_materials')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PosterTemplate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('layout', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField(default=1)),
                ('is_default', fields.BooleanField(default=False, db_index=True)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'poster_template', 'app': 'models', 'pk_attr': 'id', 'table_description': "A share poster's layout (MKT-5): its size, colours and where each part goes, as data."},
            bases=['Model'],
        ),
    ]
