"""Consignment resale (CON-1..7): vouchers, wholesale units, the queue, snap-up sessions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.money import Amount, fixed_and_rate, fixed_or_rate
from schema.node import encode
from schema.pagination import Connection, to_connection
from schema.types.consignment import (
    ConsignmentPolicy,
    ConsignmentPolicyPayload,
    QueuePosition,
    RewardKind,
    SnapUpEntryPayload,
    SnapUpSession,
    SnapUpSessionInput,
    SnapUpSessionPayload,
    UnitsPayload,
    UnitStatus,
    Voucher,
    VoucherStatus,
    WholesaleUnit,
)
from services.consignment import queue as consignment
from services.consignment import snapup, vouchers
from services.consignment.matching import Policy
from services.core.pagination import paginate

FIRST = "Page size."
AFTER = "Cursor from the previous page."
UNIT_IDS = "Your wholesale units."


def _ids(values: list[strawberry.ID], field: str) -> list[int]:
    return [parse_id(v, field, of="WholesaleUnit") for v in values]


def policy_view(row) -> ConsignmentPolicy:
    return ConsignmentPolicy(
        product_id=strawberry.ID(encode("Product", row.product_id)),
        fee_bp=row.fee_bp,
        reward_kind=RewardKind(row.reward_kind),
        **_reward(row.reward_kind, row.reward_value),
    )


def _reward(kind: str, value: int) -> dict:
    amount, rate_bp = fixed_and_rate(kind == RewardKind.FIXED.value, value)
    return {"reward_amount": amount, "reward_rate_bp": rate_bp}


@strawberry.type
class ConsignmentQueries:
    @strawberry.field(description="The signed-in user's wholesale vouchers, newest first.", extensions=login_required())
    @api_errors
    async def my_vouchers(
        self,
        info: Info,
        status: Annotated[VoucherStatus | None, strawberry.argument(description="Only vouchers in this state.")] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Voucher]:
        qs = vouchers.my_vouchers(viewer(info).id, status.value if status else None)
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="The signed-in user's wholesale units, newest first: undecided, kept, in the queue, sold (with sale details).",
        extensions=login_required(),
    )
    @api_errors
    async def my_wholesale_units(
        self,
        info: Info,
        statuses: Annotated[
            list[UnitStatus] | None, strawberry.argument(description="Only units in these states.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[WholesaleUnit]:
        qs = consignment.my_units(viewer(info).id, [s.value for s in statuses] if statuses else None)
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="My consignments in progress with their live queue positions (CON-6).", extensions=login_required()
    )
    @api_errors
    async def my_queue_positions(
        self,
        info: Info,
        product_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this wholesale product's queue.")
        ] = None,
    ) -> list[QueuePosition]:
        pid = parse_id(product_id, "productId", of="Product") if product_id is not None else None
        found = await consignment.positions(viewer(info).id, pid)
        return [QueuePosition(unit=unit, position=position) for unit, position in found]

    @strawberry.field(description="Snap-up sessions not yet over, soonest first (anyone may look).")
    @api_errors
    async def snap_up_sessions(
        self,
        product_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this wholesale product.")
        ] = None,
    ) -> list[SnapUpSession]:
        pid = parse_id(product_id, "productId", of="Product") if product_id is not None else None
        return await snapup.open_sessions(pid).order_by("starts_at", "id").limit(50)

    @strawberry.field(
        description="A wholesale product's consignment fee and reward in force.",
        extensions=requires("consignment.manage"),
    )
    @api_errors
    async def consignment_policy(
        self, product_id: Annotated[strawberry.ID, strawberry.argument(description="The wholesale product.")]
    ) -> ConsignmentPolicy:
        pid = parse_id(product_id, "productId", of="Product")
        policy = await consignment.policy_for(pid)
        return ConsignmentPolicy(
            product_id=strawberry.ID(encode("Product", pid)),
            fee_bp=policy.fee_bp,
            reward_kind=RewardKind(policy.reward_kind),
            **_reward(policy.reward_kind, policy.reward_value),
        )


@strawberry.type
class ConsignmentMutations:
    @strawberry.mutation(
        description="Consign wholesale units (挂售): they join the end of their product's queue.",
        extensions=login_required(),
    )
    @payload_errors
    async def consign_units(
        self, info: Info, unit_ids: Annotated[list[strawberry.ID], strawberry.argument(description=UNIT_IDS)]
    ) -> UnitsPayload:
        return UnitsPayload(units=await consignment.consign(viewer(info).id, _ids(unit_ids, "unitIds")))

    @strawberry.mutation(
        description="Consign some undecided units of one of my wholesale order lines.", extensions=login_required()
    )
    @payload_errors
    async def consign_from_order_line(
        self,
        info: Info,
        line_id: Annotated[strawberry.ID, strawberry.argument(description="A wholesale order line of mine.")],
        quantity: Annotated[int, strawberry.argument(description="How many units.")],
    ) -> UnitsPayload:
        return UnitsPayload(
            units=await consignment.consign_from_line(
                viewer(info).id, parse_id(line_id, "lineId", of="OrderLine"), quantity
            )
        )

    @strawberry.mutation(
        description="Keep undecided units for self-pickup: they are delivered with their order.",
        extensions=login_required(),
    )
    @payload_errors
    async def keep_units_for_pickup(
        self, info: Info, unit_ids: Annotated[list[strawberry.ID], strawberry.argument(description=UNIT_IDS)]
    ) -> UnitsPayload:
        return UnitsPayload(units=await consignment.choose_pickup(viewer(info).id, _ids(unit_ids, "unitIds")))

    @strawberry.mutation(
        description="Take an unsold unit out of the queue; it becomes a self-pickup unit (CON-5).",
        extensions=login_required(),
    )
    @payload_errors
    async def cancel_consignment(
        self, info: Info, unit_id: Annotated[strawberry.ID, strawberry.argument(description="The queued unit.")]
    ) -> UnitsPayload:
        return UnitsPayload(
            units=[
                await consignment.cancel_consignment(viewer(info).id, parse_id(unit_id, "unitId", of="WholesaleUnit"))
            ]
        )

    @strawberry.mutation(
        description="Take part in an open snap-up session with a voucher: win a unit (an order to pay) or receive coins.",
        extensions=login_required(),
    )
    @payload_errors
    async def join_snap_up(
        self,
        info: Info,
        session_id: Annotated[strawberry.ID, strawberry.argument(description="The session.")],
        address_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Delivery address for a won unit; default: my default address."),
        ] = None,
    ) -> SnapUpEntryPayload:
        aid = parse_id(address_id, "addressId", of="Address") if address_id is not None else None
        return SnapUpEntryPayload(
            entry=await snapup.join(viewer(info).id, parse_id(session_id, "sessionId", of="SnapUpSession"), aid)
        )

    @strawberry.mutation(
        description="Set a wholesale product's consignment fee and reward (consignment.manage).",
        extensions=requires("consignment.manage"),
    )
    @payload_errors
    async def set_consignment_policy(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The wholesale product.")],
        fee_bp: Annotated[int, strawberry.argument(description="Fee, basis points of the sale price (0-10000).")],
        reward_kind: Annotated[RewardKind, strawberry.argument(description="Fixed or percentage reward.")],
        reward_amount: Annotated[
            Amount | None, strawberry.argument(description="FIXED: the reward per unit, in yuan; null for PERCENT.")
        ] = None,
        reward_rate_bp: Annotated[
            int | None,
            strawberry.argument(description="PERCENT: the reward, basis points of the sale price; null for FIXED."),
        ] = None,
    ) -> ConsignmentPolicyPayload:
        value = fixed_or_rate(reward_kind == RewardKind.FIXED, reward_amount, reward_rate_bp, "reward")
        row = await consignment.set_policy(
            viewer(info).id,
            parse_id(product_id, "productId", of="Product"),
            Policy(fee_bp, reward_kind.value, value),
        )
        return ConsignmentPolicyPayload(policy=policy_view(row))

    @strawberry.mutation(
        description="Schedule a wholesale snap-up session (consignment.manage).",
        extensions=requires("consignment.manage"),
    )
    @payload_errors
    async def create_snap_up_session(
        self, info: Info, input: Annotated[SnapUpSessionInput, strawberry.argument(description="The session.")]
    ) -> SnapUpSessionPayload:
        data = snapup.SessionData(
            sku_id=parse_id(input.sku_id, "skuId", of="Sku"),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            units=input.units,
            consolation_coins=input.consolation_coins,
        )
        return SnapUpSessionPayload(session=await snapup.create_session(viewer(info).id, data))
