"""The signed-in user's member grade."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, viewer
from schema.types.grades import MemberGrade
from services import grades


@strawberry.type
class GradeQueries:
    @strawberry.field(description="My member grade (raised by buying a gift pack) and its history.", extensions=login_required())
    async def my_grade(self, info: Info) -> MemberGrade:
        user_id = viewer(info).id
        return MemberGrade(grade=await grades.grade_of(user_id) or None,
                           history=await grades.history(user_id).order_by("-id").limit(50))
