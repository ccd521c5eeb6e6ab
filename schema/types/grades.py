"""Member grades and their history."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import grades as m


@strawberry.type(description="One change of a member's grade (audit trail).")
class GradeChange:
    from_grade: str = strawberry.field(description="Grade before; empty: none.")
    to_grade: str = strawberry.field(description="Grade after.")
    source: str = strawberry.field(description="What changed it: GIFT_PACK, ADMIN or RULE.")

    @strawberry.field(description="When.")
    def at(self: m.GradeChange) -> datetime:
        return self.created_at


@strawberry.type(description="My member grade and how I got it.")
class MemberGrade:
    grade: str | None = strawberry.field(description="Current grade (e.g. V1, V2, V3); null: none yet.")
    history: list[GradeChange] = strawberry.field(description="Changes, newest first.")
