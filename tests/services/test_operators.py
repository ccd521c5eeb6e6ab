"""Operator commands: the first admin of a fresh installation, a job run on demand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jobs.runner import REGISTRY, run_now
from models.access import UserRole
from models.accounts import User
from models.jobs import JobRun
from services.accounts import operators
from services.core import sensitive
from services.core.errors import DomainError, ErrorCode
from tests.servers import server_env

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str) -> subprocess.CompletedProcess:
    env = {**server_env(), **{k: v for k, v in os.environ.items() if k == "CLOCK_START"}}
    return subprocess.run(
        [sys.executable, "-m", "manage", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_create_admin_is_idempotent():
    first = await operators.create_admin("138 0013 8000", "老板")
    again = await operators.create_admin("+8613800138000")
    assert first.created and not again.created and first.user_id == again.user_id
    assert await User.filter(phone_hash=sensitive.blind_index("+8613800138000")).count() == 1
    assert await UserRole.filter(user_id=first.user_id, role__code="admin").count() == 1


async def test_create_admin_refuses_a_bad_phone_and_creates_nothing():
    users = await User.all().count()
    try:
        await operators.create_admin("12345")
    except DomainError as exc:
        assert exc.code == ErrorCode.INVALID_PHONE
    else:
        raise AssertionError("accepted a bad phone")
    assert await User.all().count() == users


async def test_the_create_admin_command_on_the_configured_database():
    result = manage("create-admin", "--phone", "13900139000")
    assert result.returncode == 0, result.stderr
    assert "role admin granted" in result.stdout
    user = await User.get(phone_hash=sensitive.blind_index("+8613900139000"))
    assert await UserRole.exists(user_id=user.id, role__code="admin")
    again = manage("create-admin", "--phone", "13900139000")
    assert again.returncode == 0 and "already existed" in again.stdout
    bad = manage("create-admin", "--phone", "nope")
    assert bad.returncode == 2 and "INVALID_PHONE" in bad.stderr


async def test_run_job_runs_a_job_now_whether_due_or_not():
    job = REGISTRY["cancel_unpaid_orders"]
    assert await run_now(job) == "cancelled 0 unpaid checkouts"
    assert await run_now(job) == "cancelled 0 unpaid checkouts"  # not due again, run anyway
    assert (await JobRun.get(name=job.name)).runs == 2
    result = manage("run-job", "auto_complete_orders")
    assert result.returncode == 0 and "auto_complete_orders: completed 0 orders" in result.stdout
    unknown = manage("run-job", "nope")
    assert unknown.returncode == 2 and "cancel_unpaid_orders" in unknown.stderr
