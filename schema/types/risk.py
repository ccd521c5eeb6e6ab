"""Risk control types (RISK-2): rules, review cases with their evidence and held items, audit."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from models import risk as m
from schema.errors import UserError
from schema.node import Node, encode, node_id


@strawberry.enum(
    description="What a risk rule looks for. SELF_PURCHASE: a commission beneficiary who looks like the buyer "
    "(params signals: SAME_USER, DEVICE, PHONE, WECHAT, IP; lookback_days). DEVICE_CLUSTER: at least min_accounts accounts "
    "under one upline ordering from one device id or IP (match) within window_minutes. ORDER_VELOCITY: more than max_orders "
    "paid orders within window_minutes by one buyer or one upline's team (per: BUYER, UPLINE). REFUND_AFTER_COMMISSION: more "
    "than max_refunds refunds of commissioned orders by one buyer within window_days."
)
class RiskRuleKind(Enum):
    SELF_PURCHASE = strawberry.enum_value(
        "SELF_PURCHASE", description="A commission beneficiary who looks like the buyer."
    )
    DEVICE_CLUSTER = strawberry.enum_value(
        "DEVICE_CLUSTER", description="Several accounts under one upline ordering from one device or IP."
    )
    ORDER_VELOCITY = strawberry.enum_value(
        "ORDER_VELOCITY", description="Too many paid orders in a window by one buyer or one upline's team."
    )
    REFUND_AFTER_COMMISSION = strawberry.enum_value(
        "REFUND_AFTER_COMMISSION", description="Too many refunds of commissioned orders by one buyer."
    )


@strawberry.enum(
    description="A review case's state: PENDING_REVIEW (waiting; its items are held), RELEASED (items back on their "
    "normal path), REJECTED (items refused, money back to its source)."
)
class RiskCaseStatus(Enum):
    PENDING_REVIEW = strawberry.enum_value("OPEN", description="Waiting for a reviewer; its items are held.")
    RELEASED = strawberry.enum_value("RELEASED", description="Released: its items went back on their normal path.")
    REJECTED = strawberry.enum_value(
        "REJECTED", description="Refused by the reviewer: its items are refused, the money back to its source."
    )


@strawberry.type(description="A risk rule: its kind, parameters and whether it is evaluated.")
class RiskRule(Node):
    id: strawberry.ID = node_id("RiskRule", description="Rule id.")
    kind: RiskRuleKind = strawberry.field(description="What the rule looks for.")
    params: JSON = strawberry.field(description="Parameters, completed with the kind's defaults (see RiskRuleKind).")
    enabled: bool = strawberry.field(description="Evaluated on payments / refunds when on.")
    description: str = strawberry.field(description="What the rule is for, shown to reviewers.")
    updated_at: datetime = strawberry.field(description="Last change.")


_HELD_TYPES = {"COMMISSION": "Commission", "WITHDRAWAL": "Withdrawal"}


@strawberry.type(description="One item a case holds, e.g. a commission or a withdrawal.")
class RiskHeldItem:
    @strawberry.field(description="COMMISSION, WITHDRAWAL …")
    def kind(self: m.RiskHold) -> str:
        return self.subject_kind

    @strawberry.field(description="The held item's id.")
    def item_id(self: m.RiskHold) -> strawberry.ID:
        return encode(_HELD_TYPES.get(self.subject_kind, self.subject_kind.title()), self.subject_id)

    @strawberry.field(
        description="HELD while the case is open; RELEASED or REJECTED by its decision; KEPT when released but "
        "still held by another open case."
    )
    def outcome(self: m.RiskHold) -> str:
        return self.outcome


@strawberry.type(description="One time the case's rule hit, with what it saw.")
class RiskHit:
    @strawberry.field(description="The paid or refunded order that triggered it.")
    def order_id(self: m.RiskHit) -> strawberry.ID | None:
        return encode("Order", self.order_id) if self.order_id else None

    @strawberry.field(description="What the rule saw (ids, counts, matched signals; phones and device ids masked).")
    def evidence(self: m.RiskHit) -> JSON:
        return self.evidence

    @strawberry.field(description="When.")
    def created_at(self: m.RiskHit) -> datetime:
        return self.created_at


@strawberry.type(description="A review case: a rule hit on a user, what it holds, and the decision.")
class RiskCase(Node):
    id: strawberry.ID = node_id("RiskCase", description="Case id.")
    kind: RiskRuleKind = strawberry.field(description="The rule's kind when the case opened.")
    status: RiskCaseStatus = strawberry.field(description="Open, released or rejected.")
    evidence: JSON = strawberry.field(description="What the rule saw when it opened the case.")
    hit_count: int = strawberry.field(description="Times the rule hit while the case was open.")
    decision_reason: str = strawberry.field(description="The reviewer's reason (empty while open).")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    created_at: datetime = strawberry.field(description="When it opened.")

    @strawberry.field(description="The rule that opened it.")
    def rule_id(self: m.RiskCase) -> strawberry.ID:
        return encode("RiskRule", self.rule_id)

    @strawberry.field(description="The user under review (their withdrawals wait while the case is open).")
    def subject_user_id(self: m.RiskCase) -> strawberry.ID:
        return encode("User", self.subject_user_id)

    @strawberry.field(description="Who decided it.")
    def decided_by_id(self: m.RiskCase) -> strawberry.ID | None:
        return encode("User", self.decided_by_id) if self.decided_by_id else None

    @strawberry.field(description="What it holds (or held), by kind and id.")
    async def held_items(self: m.RiskCase) -> list[RiskHeldItem]:
        rows = getattr(self, "_holds", None)
        return rows if rows is not None else list(await m.RiskHold.filter(case_id=self.id).order_by("id"))

    @strawberry.field(description="Every hit, oldest first.")
    async def hits(self: m.RiskCase) -> list[RiskHit]:
        rows = getattr(self, "_hits", None)
        return rows if rows is not None else list(await m.RiskHit.filter(case_id=self.id).order_by("id"))


@strawberry.type(description="Who changed a risk rule or decided a case, when, and why.")
class RiskAuditEntry(Node):
    id: strawberry.ID = node_id("RiskAuditEntry", description="Entry id.")
    action: str = strawberry.field(
        description="RULE_CREATED, RULE_UPDATED, RULE_DELETED, CASE_RELEASED, CASE_REJECTED."
    )
    reason: str = strawberry.field(description="The reviewer's reason (decisions).")
    before: JSON | None = strawberry.field(description="The rule or case before.")
    after: JSON | None = strawberry.field(description="The rule or case after (decisions: each held item's outcome).")
    created_at: datetime = strawberry.field(description="When.")

    @strawberry.field(description="Who (null: the system).")
    def actor_id(self: m.RiskAudit) -> strawberry.ID | None:
        return encode("User", self.actor_id) if self.actor_id else None

    @strawberry.field(description="The rule concerned.")
    def rule_id(self: m.RiskAudit) -> strawberry.ID | None:
        return encode("RiskRule", self.rule_id) if self.rule_id else None

    @strawberry.field(description="The case concerned.")
    def case_id(self: m.RiskAudit) -> strawberry.ID | None:
        return encode("RiskCase", self.case_id) if self.case_id else None


@strawberry.input(description="A new risk rule.")
class CreateRiskRuleInput:
    kind: RiskRuleKind = strawberry.field(description="What it looks for.")
    params: JSON | None = strawberry.field(
        default=None, description="Parameters; missing ones take the kind's defaults."
    )
    enabled: bool = strawberry.field(default=True, description="Evaluate it from now on.")
    description: str = strawberry.field(default="", description="What it is for (the kind's default text when empty).")


@strawberry.input(description="Changes to a risk rule; what is left out stays.")
class UpdateRiskRuleInput:
    id: strawberry.ID = strawberry.field(description="The rule.")
    params: JSON | None = strawberry.field(
        default=None, description="New parameters (replace the old; missing ones take defaults)."
    )
    enabled: bool | None = strawberry.field(default=None, description="On or off.")
    description: str | None = strawberry.field(default=None, description="New description.")


@strawberry.type(description="Result of creating or changing a risk rule.")
class RiskRulePayload:
    rule: RiskRule | None = strawberry.field(default=None, description="The rule created or changed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why nothing changed.")


@strawberry.type(description="Result of installing the default rules.")
class RiskRulesPayload:
    rules: list[RiskRule] = strawberry.field(default_factory=list, description="Every rule, defaults included.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why nothing changed.")


@strawberry.type(description="Result of deleting a risk rule.")
class DeleteRiskRulePayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The rule deleted.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why nothing changed.")


@strawberry.type(description="Result of deciding a risk case.")
class RiskCasePayload:
    case: RiskCase | None = strawberry.field(default=None, description="The decided case.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why nothing changed.")
