"""Bookkeeping of the worker's scheduled jobs (one row per job name)."""

from tortoise import fields
from tortoise.models import Model


class JobRun(Model):
    name = fields.CharField(max_length=64, primary_key=True)
    # A worker claims a job by moving locked_until forward with a conditional UPDATE,
    # so two workers never run the same job at once.
    locked_until = fields.DatetimeField(null=True)
    locked_by = fields.CharField(max_length=64, default="")
    last_started_at = fields.DatetimeField(null=True)
    last_finished_at = fields.DatetimeField(null=True)
    last_result = fields.CharField(max_length=256, default="")
    runs = fields.IntField(default=0)
    failures = fields.IntField(default=0)  # runs that raised: a counter for /metrics

    class Meta:
        table = "job_run"
