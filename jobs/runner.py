"""Job registry and a claim-based runner that is safe on several worker hosts at once.

A worker claims a job by moving its lease (`locked_until`) forward with one conditional
UPDATE; only one worker's UPDATE matches, so a job never runs twice at the same time.
Jobs themselves are written to be idempotent (set-based, conditional updates), so a
crashed run that is retried after its lease expires does no harm.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from models.jobs import JobRun
from services.core import clock

log = logging.getLogger("worker")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    # Returns a short summary with its counts, e.g. "cancelled 3 orders"; all counts 0 = nothing to do.
    run: Callable[[], Awaitable[str]]
    lease: timedelta = timedelta(minutes=5)


REGISTRY: dict[str, Job] = {}


def register(job: Job) -> Job:
    REGISTRY[job.name] = job
    return job


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _ensure_row(name: str) -> None:
    if not await JobRun.exists(name=name):
        try:
            await JobRun.create(name=name)
        except IntegrityError:
            pass  # another worker created it first


async def claim(job: Job, owner: str, *, due_or_not: bool = False) -> bool:
    """Take the job's lease if it is due (or `due_or_not`) and nobody holds it."""
    await _ensure_row(job.name)
    now = clock.now()
    due = Q() if due_or_not else Q(last_started_at=None) | Q(last_started_at__lte=now - job.every)
    free = Q(locked_until=None) | Q(locked_until__lt=now)
    claimed = await JobRun.filter(Q(name=job.name), due, free).update(
        locked_until=now + job.lease, locked_by=owner, last_started_at=now, runs=F("runs") + 1
    )
    return claimed == 1


async def run_due_jobs(owner: str | None = None) -> dict[str, str]:
    """Run every registered job that is due and claimable; returns name -> summary."""
    owner = owner or worker_id()
    results: dict[str, str] = {}
    for job in list(REGISTRY.values()):
        if await claim(job, owner):
            results[job.name] = await _run_claimed(job, owner)
    return results


async def run_now(job: Job, owner: str | None = None) -> str | None:
    """Run one job now, due or not (an operator's `manage run-job`); None while another
    worker holds its lease."""
    owner = owner or worker_id()
    if not await claim(job, owner, due_or_not=True):
        return None
    return await _run_claimed(job, owner)


_FAILED = "failed: "
_NONZERO = re.compile(r"\b0*[1-9]")


def failed(summary: str) -> bool:
    """Whether a run's summary (JobRun.last_result) says it failed."""
    return summary.startswith(_FAILED)


def did_work(summary: str) -> bool:
    """A run that found something to do: its summary counts something (an idle worker is quiet)."""
    return bool(_NONZERO.search(summary))


async def _run_claimed(job: Job, owner: str) -> str:
    try:
        summary = await job.run()
    except Exception as exc:
        log.exception("job %s failed", job.name)
        summary = f"{_FAILED}{exc.__class__.__name__}"
    else:
        log.log(logging.INFO if did_work(summary) else logging.DEBUG, "job %s: %s", job.name, summary)
    await JobRun.filter(name=job.name, locked_by=owner).update(
        locked_until=None,
        last_finished_at=clock.now(),
        last_result=summary[:256],
        failures=F("failures") + (1 if failed(summary) else 0),
    )
    return summary
