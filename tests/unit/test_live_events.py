"""Live events: each type to JSON and back, and its JSON exactly the message published
before events were typed (other processes and the clients read it)."""

import dataclasses
import importlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import wiring
from services.accounts.events import NotificationSent, ReviewQueueChanged, SessionsRevoked
from services.catalog.events import LowStock, ProductDelisted, ProductRelisted
from services.consignment.events import (
    ConsignmentReturned,
    ConsignmentSettled,
    ConsignmentSold,
    StatsChanged,
    UnitLeft,
    UnitQueued,
    UnitReturned,
    UnitSold,
    VouchersGranted,
)
from services.core import events
from services.distribution.events import (
    CommissionAvailable,
    CommissionCreated,
    CommissionRejected,
    CommissionReversed,
    GradeChanged,
)
from services.finance.events import WithdrawalStatusChanged
from services.marketing.events import (
    BargainChanged,
    CouponExpired,
    CouponExpiring,
    CouponGranted,
    CouponReturned,
    CouponUsed,
    FlashStockChanged,
    GroupTeamChanged,
    LotteryWon,
)
from services.membership.events import MembershipChanged
from services.orders.events import AfterSaleRequested, AfterSaleStatusChanged, NewOrder, OrderStatusChanged
from services.stores.events import BookingChanged, DeliveryChanged, StorePaymentReceived, StorePaymentRefunded

ROOT = Path(__file__).resolve().parents[2]

# Each event, and the dict the service published for it before (the same literal).
CASES = [
    (NotificationSent(7), {"type": "notification", "id": 7}),  # an older release's: the id alone
    (
        NotificationSent(
            7,
            user_id=3,
            kind="ADMIN_MESSAGE",
            title="Hi",
            body="",
            data={"userId": "12"},
            created_at=datetime(2026, 6, 10, 2, 0, 0, 123456, tzinfo=UTC),
        ),
        {
            "type": "notification",
            "id": 7,
            "userId": 3,
            "kind": "ADMIN_MESSAGE",
            "title": "Hi",
            "body": "",
            "data": {"userId": "12"},
            "createdAt": "2026-06-10T02:00:00.123456+00:00",
        },
    ),
    (
        SessionsRevoked("5f0c1e2a-0000-4000-8000-000000000001"),
        {"type": "sessionsRevoked", "sessionId": "5f0c1e2a-0000-4000-8000-000000000001"},
    ),
    (SessionsRevoked(), {"type": "sessionsRevoked"}),  # every session of the channel's user
    (ReviewQueueChanged("WITHDRAWALS"), {"type": "REVIEW_QUEUE_CHANGED", "queue": "WITHDRAWALS"}),
    (
        ReviewQueueChanged("RISK_CASES", 3, "OPEN"),
        {"type": "REVIEW_QUEUE_CHANGED", "queue": "RISK_CASES", "caseId": "3", "status": "OPEN"},
    ),
    (LowStock(4, 2, 5), {"type": "low_stock", "skuId": "4", "productId": "2", "stock": 5}),
    (ProductDelisted(2, "OUT_OF_STOCK"), {"type": "product_delisted", "productId": "2", "reason": "OUT_OF_STOCK"}),
    (ProductRelisted(2), {"type": "product_relisted", "productId": "2"}),
    (
        MembershipChanged(datetime(2030, 1, 2, 3, 4, 5, 600, tzinfo=UTC)),
        {"type": "membership_changed", "expiresAt": "2030-01-02T03:04:05.000600+00:00"},
    ),
    (
        OrderStatusChanged(9, "UNPAID", "PAID"),
        {"type": "order_status", "orderId": "9", "from": "UNPAID", "status": "PAID"},
    ),
    (NewOrder(9), {"type": "new_order", "orderId": "9"}),
    (AfterSaleRequested(11, 9), {"type": "after_sale_requested", "afterSaleId": "11", "orderId": "9"}),
    (
        AfterSaleStatusChanged(11, "REQUESTED"),
        {"type": "after_sale_status", "afterSaleId": "11", "status": "REQUESTED"},
    ),
    (UnitQueued(3, 21, 7, 4), {"type": "queued", "key": 3, "unitId": "21", "ownerId": "7", "length": 4}),
    (UnitSold(3, 21, 7), {"type": "sold", "key": 3, "unitId": "21", "ownerId": "7"}),
    (UnitLeft(3, 21), {"type": "left", "key": 3, "unitId": "21"}),
    (
        UnitReturned(-5, 21, 7, 1),
        {"type": "returned", "key": -5, "unitId": "21", "ownerId": "7", "position": 1},
    ),
    (ConsignmentSold(21), {"type": "consignment_sold", "unitId": "21"}),
    (ConsignmentReturned(21), {"type": "consignment_returned", "unitId": "21"}),
    (ConsignmentSettled(21), {"type": "consignment_settled", "unitId": "21"}),
    (VouchersGranted(2, 9), {"type": "vouchers_granted", "count": 2, "orderId": "9"}),
    (
        StatsChanged(date(2030, 1, 2), queued=-1, sold=1, rewards_pending=300),
        {"type": "consignment_stats", "day": "2030-01-02", "queued": -1, "sold": 1, "rewardsPending": 300},
    ),
    (
        StatsChanged(date(2030, 1, 2), sales=1500, retail_orders=1, wholesale_orders=2),
        {"type": "consignment_stats", "day": "2030-01-02", "sales": 1500, "retailOrders": 1, "wholesaleOrders": 2},
    ),
    (StatsChanged(date(2030, 1, 2)), {"type": "consignment_stats", "day": "2030-01-02"}),
    (CommissionCreated(5), {"type": "commission_created", "commissionId": "5"}),
    (CouponGranted(6), {"type": "coupon_granted", "couponId": "6"}),
    (StorePaymentReceived(7, 8_800), {"type": "store_payment", "orderId": "7", "amount": 8800}),
    (
        StorePaymentRefunded(7, 9, 3_000),
        {"type": "store_payment_refunded", "orderId": "7", "refundId": "9", "amount": 3000},
    ),
    (BookingChanged(4, "BOOKED"), {"type": "store_booking", "bookingId": "4", "status": "BOOKED"}),
    (
        DeliveryChanged(7, 3, "PICKED_UP"),
        {"type": "store_delivery", "orderId": "7", "deliveryId": "3", "status": "PICKED_UP"},
    ),
    (CouponUsed(6), {"type": "coupon_used", "couponId": "6"}),
    (CouponReturned(6), {"type": "coupon_returned", "couponId": "6"}),
    (CouponExpired(6), {"type": "coupon_expired", "couponId": "6"}),
    (LotteryWon(8), {"type": "lottery_won", "drawId": "8"}),
    (FlashStockChanged(4, 17), {"type": "flash_stock_changed", "itemId": "4", "left": 17}),
    (
        GroupTeamChanged(8, 3, 2, "OPEN"),
        {"type": "group_team_changed", "teamId": "8", "taken": 3, "paid": 2, "status": "OPEN"},
    ),
    (
        BargainChanged(3, 4_500, 2, 3, "OPEN"),
        {"type": "bargain_changed", "bargainId": "3", "price": 4500, "taken": 2, "left": 3, "state": "OPEN"},
    ),
    (CouponExpiring(6), {"type": "coupon_expiring", "couponId": "6"}),
    (CommissionAvailable(5), {"type": "commission_available", "commissionId": "5"}),
    (CommissionReversed(5, 250), {"type": "commission_reversed", "commissionId": "5", "amount": 250}),
    (CommissionRejected(5), {"type": "commission_rejected", "commissionId": "5"}),
    (GradeChanged("GOLD"), {"type": "grade_changed", "grade": "GOLD"}),
    (
        WithdrawalStatusChanged(8, "", "PENDING_REVIEW"),
        {"type": "withdrawal_status", "withdrawalId": "8", "from": "", "status": "PENDING_REVIEW"},
    ),
    (
        WithdrawalStatusChanged(8, "PENDING_REVIEW", "APPROVED"),
        {"type": "withdrawal_status", "withdrawalId": "8", "from": "PENDING_REVIEW", "status": "APPROVED"},
    ),
]


@pytest.mark.parametrize(("event", "before"), CASES, ids=[type(event).__name__ for event, _ in CASES])
def test_an_event_is_the_message_it_was_and_comes_back_equal(event, before):
    message = event.to_json()
    assert message == json.dumps(before, separators=(",", ":"))  # same keys, values and order
    assert type(event).from_wire(json.loads(message)) == event
    assert events.decode(message) == event


def test_every_registered_event_has_a_case_and_every_event_class_is_registered():
    assert {type(event) for event, _ in CASES} == set(wiring.LIVE_EVENTS)
    defined = set()
    for path in sorted((ROOT / "services").glob("*/events.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        defined |= {
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, events.LiveEvent)
            and value is not events.LiveEvent
            and value.__module__ == module.__name__
        }
    assert defined == set(wiring.LIVE_EVENTS)
    assert sorted(events.registered_events(), key=lambda c: c.type) == sorted(wiring.LIVE_EVENTS, key=lambda c: c.type)


def test_events_are_frozen():
    event = OrderStatusChanged(9, "UNPAID", "PAID")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.status = "CLOSED"


def test_a_missing_default_field_takes_its_default_and_unknown_keys_are_ignored():
    assert events.decode('{"type":"REVIEW_QUEUE_CHANGED"}') == ReviewQueueChanged(None)
    assert events.decode('{"type":"new_order","orderId":"9","extra":1}') == NewOrder(9)


@pytest.mark.parametrize(
    "message",
    [
        '{"type":"something_new","id":1}',  # a type this process does not know (a newer process)
        '{"id":1}',
        '"hello"',
        "not json",
        '{"type":"new_order"}',  # a field missing
        '{"type":"new_order","orderId":"x"}',  # an id that is no number
    ],
)
def test_unknown_and_malformed_messages_decode_to_nothing(message):
    assert events.decode(message) is None


def test_two_events_with_one_type_are_refused():
    @dataclasses.dataclass(frozen=True)
    class Impostor(events.LiveEvent):
        type = "new_order"
        order_id: events.Id

    with pytest.raises(ValueError):
        events.register_events([NewOrder, Impostor])
    assert events.decode(NewOrder(9).to_json()) == NewOrder(9)  # the registry in use is left as it was
