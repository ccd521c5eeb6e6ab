"""Member grades (DIS-6, MEM-4): the grade ladder with its upgrade rules, my grade and my
progress towards the next one, the audited history of changes."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models import grades as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, encode, node_id
from services.distribution import grades as svc


@strawberry.enum(
    description="One threshold of an upgrade rule: OWN_SALES (my completed purchases, as money, net of refunds), "
    "TEAM_SALES (the same for my team, three levels down), DIRECT_MEMBERS (users bound directly under me), "
    "TEAM_MEMBERS (users within three levels under me)."
)
class GradeRequirementKind(Enum):
    OWN_SALES = strawberry.enum_value("OWN_SALES", description="My completed purchases, net of refunds.")
    TEAM_SALES = strawberry.enum_value(
        "TEAM_SALES", description="My team's completed purchases (three levels down), net of refunds."
    )
    DIRECT_MEMBERS = strawberry.enum_value("DIRECT_MEMBERS", description="Users bound directly under me.")
    TEAM_MEMBERS = strawberry.enum_value("TEAM_MEMBERS", description="Users within three levels under me.")


def _money(value: int | None) -> Money | None:
    return None if value is None else Money.from_fen(value)


@strawberry.type(
    description="One way to reach a grade automatically: every threshold set must hold; a grade with "
    "several rules is reached when any one holds. Unset thresholds are null."
)
class GradeRule(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("GradeRule", "pk", description="Rule id (named by the grade changes it caused).")
    own_sales_min: Money | None = strawberry.field(description="My own completed purchases at least this much.")
    team_sales_min: Money | None = strawberry.field(description="My team's completed purchases at least this much.")
    direct_members_min: int | None = strawberry.field(description="At least this many users directly under me.")
    team_members_min: int | None = strawberry.field(
        description="At least this many users within three levels under me."
    )

    @classmethod
    def of(cls, rule: m.GradeRule) -> GradeRule:
        return cls(
            pk=rule.id,
            own_sales_min=_money(rule.own_sales_min),
            team_sales_min=_money(rule.team_sales_min),
            direct_members_min=rule.direct_members_min,
            team_members_min=rule.team_members_min,
        )


@strawberry.type(description="A grade of the ladder (data, edited by an administrator).")
class Grade(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("Grade", "pk", description="Grade id.")
    code: str = strawberry.field(
        description="Stable code, e.g. V1, V2, V3, AGENT (named by gift packs and commission rules)."
    )
    name: str = strawberry.field(description="Display name.")
    rank: int = strawberry.field(description="Position in the ladder: higher is a higher grade.")
    description: str = strawberry.field(description="What the grade means.")
    rules: list[GradeRule] = strawberry.field(
        description="Upgrade rules (empty: reached only by a gift pack or an admin)."
    )

    @classmethod
    def of(cls, grade: m.Grade, rules: list[m.GradeRule]) -> Grade:
        return cls(
            pk=grade.id,
            code=grade.code,
            name=grade.name,
            rank=grade.rank,
            description=grade.description,
            rules=[GradeRule.of(r) for r in rules],
        )


@strawberry.type(description="One change of a member's grade (audit trail).")
class GradeChange:
    from_grade: str = strawberry.field(description="Grade before; empty: none.")
    to_grade: str = strawberry.field(description="Grade after.")
    source: str = strawberry.field(description="What changed it: GIFT_PACK, ADMIN or RULE.")
    reason: str = strawberry.field(description="ADMIN: why; empty otherwise.")
    reference_id: str = strawberry.field(description="GIFT_PACK: the order line; empty otherwise.")

    @strawberry.field(description="RULE: the rule that fired; null otherwise.")
    def rule_id(self: m.GradeChange) -> strawberry.ID | None:
        return None if self.rule_id is None else encode("GradeRule", self.rule_id)

    @strawberry.field(description="When.")
    def at(self: m.GradeChange) -> datetime:
        return self.created_at


@strawberry.type(description="One threshold of a rule and where I stand: amounts for sales, counts for team sizes.")
class GradeRequirement:
    kind: GradeRequirementKind = strawberry.field(description="Which threshold.")
    required_amount: Money | None = strawberry.field(description="Sales thresholds: the amount needed.")
    current_amount: Money | None = strawberry.field(description="Sales thresholds: what I have.")
    missing_amount: Money | None = strawberry.field(description="Sales thresholds: what is still missing (0 when met).")
    required_count: int | None = strawberry.field(description="Team thresholds: the members needed.")
    current_count: int | None = strawberry.field(description="Team thresholds: the members I have.")
    missing_count: int | None = strawberry.field(description="Team thresholds: members still missing (0 when met).")

    @classmethod
    def of(cls, r: svc.Requirement) -> GradeRequirement:
        if r.kind.endswith("_SALES"):
            return cls(
                kind=GradeRequirementKind(r.kind),
                required_amount=Money.from_fen(r.required),
                current_amount=Money.from_fen(r.current),
                missing_amount=Money.from_fen(r.missing),
                required_count=None,
                current_count=None,
                missing_count=None,
            )
        return cls(
            kind=GradeRequirementKind(r.kind),
            required_amount=None,
            current_amount=None,
            missing_amount=None,
            required_count=r.required,
            current_count=r.current,
            missing_count=r.missing,
        )


@strawberry.type(description="My progress on one rule of the next grade.")
class GradeRuleProgress:
    rule_id: strawberry.ID = strawberry.field(description="The rule.")
    met: bool = strawberry.field(description="Every threshold holds (the upgrade happens at the next evaluation).")
    requirements: list[GradeRequirement] = strawberry.field(description="Each threshold: required, current, missing.")


@strawberry.type(description="My member grade, my figures and what is missing for the next grade.")
class MemberGrade:
    grade: str | None = strawberry.field(description="Current grade code (e.g. V1, V2, V3); null: none yet.")
    current: Grade | None = strawberry.field(description="Current grade; null: none yet.")
    next: Grade | None = strawberry.field(description="The next grade up; null: I hold the highest.")
    progress: list[GradeRuleProgress] = strawberry.field(
        description="Towards the next grade, one entry per rule (any one is "
        "enough); empty when the next grade has no rules (gift pack or admin only)."
    )
    own_sales: Money = strawberry.field(description="My completed purchases, net of refunds.")
    team_sales: Money = strawberry.field(description="My team's completed purchases (three levels), net of refunds.")
    direct_members: int = strawberry.field(description="Users bound directly under me.")
    team_members: int = strawberry.field(description="Users within three levels under me.")
    history: list[GradeChange] = strawberry.field(
        description="Latest changes, newest first (all of them: gradeHistory)."
    )


@strawberry.input(description="An upgrade rule: set one threshold or more (all set ones must hold).")
class GradeRuleInput:
    own_sales: Amount | None = strawberry.field(default=None, description="Own completed purchases, in yuan.")
    team_sales: Amount | None = strawberry.field(default=None, description="Team completed purchases, in yuan.")
    direct_members: int | None = strawberry.field(default=None, description="Users directly under the member.")
    team_members: int | None = strawberry.field(default=None, description="Users within three levels under the member.")

    def data(self) -> svc.RuleData:
        return svc.RuleData(self.own_sales, self.team_sales, self.direct_members, self.team_members)


@strawberry.input(description="A grade of the ladder and its upgrade rules (the rules replace the grade's rules).")
class GradeInput:
    code: str = strawberry.field(description="1-16 capital letters, digits or '_', e.g. V4; unique.")
    name: str = strawberry.field(description="Display name, 1-32 characters.")
    rank: int = strawberry.field(description="1-1000, unique; higher is a higher grade.")
    description: str = strawberry.field(default="", description="At most 256 characters.")
    rules: list[GradeRuleInput] = strawberry.field(default_factory=list, description="Upgrade rules (at most 10).")

    def data(self) -> svc.GradeData:
        return svc.GradeData(self.code, self.name, self.rank, self.description, tuple(r.data() for r in self.rules))


@strawberry.type(description="Outcome of a grade edit.")
class GradePayload:
    grade: Grade | None = strawberry.field(default=None, description="The grade as saved.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of a grade deletion.")
class DeleteGradePayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The grade removed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of setting a user's grade.")
class SetUserGradePayload:
    grade: str | None = strawberry.field(default=None, description="The user's grade now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
