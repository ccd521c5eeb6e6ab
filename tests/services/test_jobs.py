"""The worker's job runner: due jobs run once, even with several workers racing."""

import asyncio
from datetime import timedelta

import pytest

from jobs import runner
from jobs.housekeeping import purge_stale_auth_rows
from models.accounts import SmsCode
from models.jobs import JobRun
from services.core import clock
from services.core.sensitive import blind_index


@pytest.fixture
def counting_job(monkeypatch):
    calls = []

    async def work():
        calls.append(1)
        await asyncio.sleep(0.05)  # long enough for racing workers to overlap
        return f"run {len(calls)}"

    job = runner.Job("test_job", every=timedelta(minutes=10), run=work)
    monkeypatch.setattr(runner, "REGISTRY", {job.name: job})
    return calls


async def test_racing_workers_run_a_due_job_once(counting_job):
    results = await asyncio.gather(*[runner.run_due_jobs(f"worker-{i}") for i in range(5)])
    assert len(counting_job) == 1
    assert sum("test_job" in r for r in results) == 1
    row = await JobRun.get(name="test_job")
    assert row.runs == 1 and row.locked_until is None and row.last_result == "run 1"


async def test_a_job_runs_again_only_when_due(counting_job):
    await runner.run_due_jobs("w")
    await runner.run_due_jobs("w")
    assert len(counting_job) == 1
    clock.advance(timedelta(minutes=11))
    await runner.run_due_jobs("w")
    assert len(counting_job) == 2


async def test_a_failing_job_is_recorded_and_released(monkeypatch):
    async def broken():
        raise ValueError("boom")

    job = runner.Job("broken", every=timedelta(minutes=1), run=broken)
    monkeypatch.setattr(runner, "REGISTRY", {job.name: job})
    assert await runner.run_due_jobs("w") == {"broken": "failed: ValueError"}
    row = await JobRun.get(name="broken")
    assert row.locked_until is None and (row.runs, row.failures) == (1, 1)
    clock.advance(timedelta(minutes=2))
    await runner.run_due_jobs("w")
    assert (await JobRun.get(name="broken")).failures == 2  # a counter: /metrics shows every failure


async def test_purge_keeps_recent_codes():
    now = clock.now()
    await SmsCode.create(
        phone_hash=blind_index("+8613800000000"), code_hash="x", expires_at=now, created_at=now - timedelta(days=3)
    )
    await SmsCode.create(phone_hash=blind_index("+8613800000000"), code_hash="y", expires_at=now, created_at=now)
    assert (await purge_stale_auth_rows()).startswith("purged 1 sms codes")
    assert await SmsCode.all().count() == 1
