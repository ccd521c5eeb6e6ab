"""Grade and membership jobs (OPS-3, DIS-6, MEM-1): re-evaluate grade upgrade rules over
every user in id batches, and mark ended memberships EXPIRED. Both are safe on several
workers at once: a grade moves by a conditional UPDATE (a lost race records nothing), an
expiry is one conditional UPDATE per batch."""

from __future__ import annotations

import settings
from services.distribution import grades
from services.membership import membership


async def evaluate_grades() -> str:
    seen, upgraded = await grades.evaluate_all(settings.GRADE_JOB_BATCH)
    return f"evaluated {seen} users, {upgraded} upgraded"


async def expire_memberships() -> str:
    return f"expired {await membership.expire_due()} memberships"
