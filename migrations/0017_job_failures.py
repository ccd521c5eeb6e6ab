"""Scheduled jobs count the runs that raised (job_run.failures), exported as the
socialmall_job_failures counter on /metrics."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_merchant_debt')]

    initial = False

    operations = [
        ops.AddField(
            model_name='JobRun',
            name='failures',
            field=fields.IntField(default=0),
        ),
    ]
