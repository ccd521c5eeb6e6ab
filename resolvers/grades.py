"""Member grades (DIS-6, MEM-4): my grade and progress, my history, the ladder and its
admin edits, setting a user's grade (audited)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import USER_IDS, api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.money import Money
from schema.node import encode
from schema.pagination import Connection, to_connection
from schema.types.grades import (
    DeleteGradePayload,
    Grade,
    GradeChange,
    GradeInput,
    GradePayload,
    GradeRequirement,
    GradeRuleProgress,
    MemberGrade,
    SetUserGradePayload,
)
from services.core.pagination import paginate
from services.distribution import grades


async def _grade(grade) -> Grade:
    return Grade.of(grade, (await grades.rules_of([grade.id]))[grade.id])


@strawberry.type
class GradeQueries:
    @strawberry.field(
        description="My member grade, my figures and what is missing for the next grade.", extensions=login_required()
    )
    async def my_grade(self, info: Info) -> MemberGrade:
        user_id = viewer(info).id
        mine = await grades.my_grade(user_id)
        rules = await grades.rules_of([g.id for g in (mine.grade, mine.next_grade) if g is not None])
        return MemberGrade(
            grade=mine.grade.code if mine.grade else (await grades.grade_of(user_id) or None),
            current=Grade.of(mine.grade, rules[mine.grade.id]) if mine.grade else None,
            next=Grade.of(mine.next_grade, rules[mine.next_grade.id]) if mine.next_grade else None,
            progress=[
                GradeRuleProgress(
                    rule_id=strawberry.ID(encode("GradeRule", p.rule_id)),
                    met=p.met,
                    requirements=[GradeRequirement.of(r) for r in p.requirements],
                )
                for p in mine.progress
            ],
            own_sales=Money.from_fen(mine.metrics.own_sales),
            team_sales=Money.from_fen(mine.metrics.team_sales),
            direct_members=mine.metrics.direct_members,
            team_members=mine.metrics.team_members,
            history=await grades.history(user_id).order_by("-id").limit(50),
        )

    @strawberry.field(description="My grade changes, newest first.", extensions=login_required())
    @api_errors
    async def grade_history(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[GradeChange]:
        return to_connection(await paginate(grades.history(viewer(info).id), first, after))

    @strawberry.field(
        description="The grade ladder, lowest rank first, with the upgrade rules.", extensions=login_required()
    )
    async def grades(self) -> list[Grade]:
        ladder = await grades.ladder()
        rules = await grades.rules_of([g.id for g in ladder])
        return [Grade.of(g, rules[g.id]) for g in ladder]

    @strawberry.field(
        description="A user's grade changes, newest first (grades.manage).", extensions=requires("grades.manage")
    )
    @api_errors
    async def user_grade_history(
        self,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user.")],
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[GradeChange]:
        return to_connection(await paginate(grades.history(parse_id(user_id, "userId", of=USER_IDS)), first, after))


@strawberry.type
class GradeMutations:
    @strawberry.mutation(
        description="Add a grade to the ladder with its upgrade rules (grades.manage).",
        extensions=requires("grades.manage"),
    )
    @payload_errors
    async def create_grade(
        self, info: Info, input: Annotated[GradeInput, strawberry.argument(description="The grade.")]
    ) -> GradePayload:
        return GradePayload(grade=await _grade(await grades.create_grade(await info.context.grants(), input.data())))

    @strawberry.mutation(
        description="Edit a grade and replace its upgrade rules; the code of a grade in use is kept (grades.manage).",
        extensions=requires("grades.manage"),
    )
    @payload_errors
    async def update_grade(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The grade.")],
        input: Annotated[GradeInput, strawberry.argument(description="The grade as it should be.")],
    ) -> GradePayload:
        grade = await grades.update_grade(await info.context.grants(), parse_id(id, "id", of="Grade"), input.data())
        return GradePayload(grade=await _grade(grade))

    @strawberry.mutation(
        description="Remove a grade nobody holds and nothing names (grades.manage).",
        extensions=requires("grades.manage"),
    )
    @payload_errors
    async def delete_grade(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The grade.")]
    ) -> DeleteGradePayload:
        await grades.delete_grade(await info.context.grants(), parse_id(id, "id", of="Grade"))
        return DeleteGradePayload(deleted_id=id)

    @strawberry.mutation(
        description="Set a user's grade (up or down) with a reason; recorded as an ADMIN change (grades.manage).",
        extensions=requires("grades.manage"),
    )
    @payload_errors
    async def set_user_grade(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user.")],
        grade: Annotated[str, strawberry.argument(description="Grade code, e.g. V2.")],
        reason: Annotated[str, strawberry.argument(description="Why (1-256 characters), kept in the history.")],
    ) -> SetUserGradePayload:
        code = await grades.admin_set_grade(
            await info.context.grants(), viewer(info).id, parse_id(user_id, "userId", of=USER_IDS), grade, reason
        )
        return SetUserGradePayload(grade=code)
