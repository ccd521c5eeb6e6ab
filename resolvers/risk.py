"""Risk control (RISK-2): rules and the review queue, for admins with risk.manage."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from models.risk import RiskHit as HitRow
from models.risk import RiskHold as HoldRow
from resolvers.common import USER_IDS, api_errors, parse_id, payload_errors, requires, viewer
from schema.node import encode
from schema.pagination import Connection, to_connection
from schema.types.risk import (
    CreateRiskRuleInput,
    DeleteRiskRulePayload,
    RiskAuditEntry,
    RiskCase,
    RiskCasePayload,
    RiskCaseStatus,
    RiskRule,
    RiskRulePayload,
    RiskRulesPayload,
    UpdateRiskRuleInput,
)
from services.core.pagination import paginate
from services.risk import control as risk

MANAGE = "risk.manage"
FIRST = "Page size."
AFTER = "Cursor from the previous page."


async def _with_items(cases: list) -> list:
    """The page's holds and hits in two queries, whatever the page's length."""
    ids = [c.id for c in cases]
    holds: dict[int, list] = {i: [] for i in ids}
    hits: dict[int, list] = {i: [] for i in ids}
    if ids:
        for h in await HoldRow.filter(case_id__in=ids).order_by("id"):
            holds[h.case_id].append(h)
        for h in await HitRow.filter(case_id__in=ids).order_by("id"):
            hits[h.case_id].append(h)
    for c in cases:
        c._holds, c._hits = holds[c.id], hits[c.id]
    return cases


@strawberry.type
class RiskQueries:
    @strawberry.field(description="Every risk rule, oldest first (risk.manage).", extensions=requires(MANAGE))
    async def risk_rules(self) -> list[RiskRule]:
        return await risk.list_rules()

    @strawberry.field(
        description="The review queue: risk cases newest first, by status (risk.manage).", extensions=requires(MANAGE)
    )
    @api_errors
    async def risk_cases(
        self,
        status: Annotated[
            RiskCaseStatus | None,
            strawberry.argument(description="Only cases in this state (PENDING_REVIEW: the queue)."),
        ] = None,
        subject_user_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only cases about this user.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[RiskCase]:
        subject = parse_id(subject_user_id, "subjectUserId", of=USER_IDS) if subject_user_id is not None else None
        page = await paginate(risk.cases(status.value if status else None, subject), first, after)
        await _with_items(page.items)
        return to_connection(page)

    @strawberry.field(
        description="One risk case with its evidence and held items (risk.manage).", extensions=requires(MANAGE)
    )
    @api_errors
    async def risk_case(self, id: Annotated[strawberry.ID, strawberry.argument(description="The case.")]) -> RiskCase:
        return (await _with_items([await risk.get_case(parse_id(id, of="RiskCase"))]))[0]

    @strawberry.field(description="Open risk cases waiting for review (risk.manage).", extensions=requires(MANAGE))
    async def pending_risk_review_count(self) -> int:
        return await risk.pending_review_count()

    @strawberry.field(
        description="The risk audit trail, newest first: rule changes and case decisions (risk.manage).",
        extensions=requires(MANAGE),
    )
    @api_errors
    async def risk_audit(
        self,
        case_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only entries about this case.")
        ] = None,
        rule_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only entries about this rule.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[RiskAuditEntry]:
        qs = risk.audit(
            parse_id(case_id, "caseId", of="RiskCase") if case_id is not None else None,
            parse_id(rule_id, "ruleId", of="RiskRule") if rule_id is not None else None,
        )
        return to_connection(await paginate(qs, first, after))


@strawberry.type
class RiskMutations:
    @strawberry.mutation(
        description="Create a risk rule (risk.manage; audited). UNKNOWN_RISK_RULE_KIND, INVALID_RISK_PARAMS.",
        extensions=requires(MANAGE),
    )
    @payload_errors
    async def create_risk_rule(
        self, info: Info, input: Annotated[CreateRiskRuleInput, strawberry.argument(description="The rule.")]
    ) -> RiskRulePayload:
        rule = await risk.create_rule(
            await info.context.grants(),
            viewer(info).id,
            input.kind.value,
            input.params,
            enabled=input.enabled,
            description=input.description,
        )
        return RiskRulePayload(rule=rule)

    @strawberry.mutation(
        description="Change a risk rule's parameters, switch it on or off, or describe it (risk.manage; audited).",
        extensions=requires(MANAGE),
    )
    @payload_errors
    async def update_risk_rule(
        self, info: Info, input: Annotated[UpdateRiskRuleInput, strawberry.argument(description="The changes.")]
    ) -> RiskRulePayload:
        rule = await risk.update_rule(
            await info.context.grants(),
            viewer(info).id,
            parse_id(input.id, of="RiskRule"),
            params=input.params,
            enabled=input.enabled,
            description=input.description,
        )
        return RiskRulePayload(rule=rule)

    @strawberry.mutation(
        description="Delete a risk rule that never opened a case (RISK_RULE_IN_USE otherwise: disable it) "
        "(risk.manage; audited).",
        extensions=requires(MANAGE),
    )
    @payload_errors
    async def delete_risk_rule(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The rule.")]
    ) -> DeleteRiskRulePayload:
        rule_id = parse_id(id, of="RiskRule")
        await risk.delete_rule(await info.context.grants(), viewer(info).id, rule_id)
        return DeleteRiskRulePayload(deleted_id=strawberry.ID(encode("RiskRule", rule_id)))

    @strawberry.mutation(
        description="Create the default rule of each kind that has none yet (risk.manage; idempotent).",
        extensions=requires(MANAGE),
    )
    @payload_errors
    async def install_default_risk_rules(self, info: Info) -> RiskRulesPayload:
        return RiskRulesPayload(rules=await risk.install_default_rules(await info.context.grants(), viewer(info).id))

    @strawberry.mutation(
        description="Release an open risk case: what it holds goes back on its normal path (commissions are "
        "released when due). INVALID_TRANSITION if already decided (risk.manage; audited).",
        extensions=requires(MANAGE),
    )
    @payload_errors
    async def release_risk_case(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
        reason: Annotated[str, strawberry.argument(description="Why (1-256 characters).")],
    ) -> RiskCasePayload:
        return await _decide(info, id, True, reason)

    @strawberry.mutation(
        description="Reject an open risk case: what it holds is refused (commissions rejected, money back to "
        "who paid it). INVALID_TRANSITION if already decided (risk.manage; audited).",
        extensions=requires(MANAGE),
    )
    @payload_errors
    async def reject_risk_case(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
        reason: Annotated[str, strawberry.argument(description="Why (1-256 characters), shown to the beneficiaries.")],
    ) -> RiskCasePayload:
        return await _decide(info, id, False, reason)


async def _decide(info: Info, id, release: bool, reason: str) -> RiskCasePayload:
    case = await risk.decide(await info.context.grants(), viewer(info).id, parse_id(id, of="RiskCase"), release, reason)
    return RiskCasePayload(case=(await _with_items([case]))[0])
