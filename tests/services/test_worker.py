"""The worker process runs its job loop against the configured database and exits cleanly."""

import os
import subprocess
import sys
from pathlib import Path

import settings
from models.jobs import JobRun

ROOT = Path(__file__).resolve().parents[2]


async def test_worker_runs_due_jobs_once_and_exits():
    env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "BROADCAST_URL": settings.BROADCAST_URL}
    result = subprocess.run(
        [sys.executable, "worker.py", "--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    run = await JobRun.get(name="purge_stale_auth_rows")
    assert run.runs == 1 and run.last_result.startswith("purged")
