"""Live events of consignment: a product's queue (`queue:{product_id}`), the seller's
units and vouchers (`user:{id}`) and the admins' live counters (`admin`).

Queue events carry the unit's sequence `key`, so a subscriber can move its own positions
without a query (services.consignment.matching.position_after)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.core.events import Id, LiveEvent

# --------------------------------------------------------------------------- queue:{product_id}


@dataclass(frozen=True)
class UnitQueued(LiveEvent):
    """A unit joined the tail; the queue is now `length` long."""

    type = "queued"
    key: int
    unit_id: Id
    owner_id: Id
    length: int


@dataclass(frozen=True)
class UnitSold(LiveEvent):
    """The unit with `key` was matched to a retail sale and left the queue."""

    type = "sold"
    key: int
    unit_id: Id
    owner_id: Id


@dataclass(frozen=True)
class UnitLeft(LiveEvent):
    """Its owner took the unit with `key` out of the queue."""

    type = "left"
    key: int
    unit_id: Id


@dataclass(frozen=True)
class UnitReturned(LiveEvent):
    """A refund put the unit back near the head, at `key`, now at `position`."""

    type = "returned"
    key: int
    unit_id: Id
    owner_id: Id
    position: int


# --------------------------------------------------------------------------- user:{id}


@dataclass(frozen=True)
class ConsignmentSold(LiveEvent):
    """One of the user's consigned units was sold."""

    type = "consignment_sold"
    unit_id: Id


@dataclass(frozen=True)
class ConsignmentReturned(LiveEvent):
    """The sale of one of the user's units was refunded: it is queued again."""

    type = "consignment_returned"
    unit_id: Id


@dataclass(frozen=True)
class ConsignmentSettled(LiveEvent):
    """A sold unit's proceeds and reward reached the user's wallet."""

    type = "consignment_settled"
    unit_id: Id


@dataclass(frozen=True)
class VouchersGranted(LiveEvent):
    """A paid order granted the user `count` vouchers."""

    type = "vouchers_granted"
    count: int
    order_id: Id


# --------------------------------------------------------------------------- admin


@dataclass(frozen=True)
class StatsChanged(LiveEvent):
    """A change of the admins' live counters (services.consignment.stats): deltas, zero
    ones left out of the message; today-figures move only for the counters' own `day`."""

    type = "consignment_stats"
    day: date
    queued: int = 0
    sold: int = 0
    sales: int = 0
    retail_orders: int = 0
    wholesale_orders: int = 0
    rewards_pending: int = 0
