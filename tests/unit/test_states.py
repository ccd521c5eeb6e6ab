"""The state-machine helper (services.core.states) without a database: the pure check agrees
with every table for every (action, state, guard), refusals are one coded error, and the
columns a transition writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.consignment import unit_states
from services.core.errors import DomainError, ErrorCode
from services.core.states import StateMachine, Transition
from services.distribution import distributors
from services.finance import settlement, withdrawals
from services.marketing import coupon_templates, coupons
from services.merchants import merchants
from services.orders import after_sale_states, states

# Every table in services, with the statuses its domain module declares.
MACHINES = {
    "orders": (states.ORDER_STATES, states.STATUSES),
    "after-sales": (after_sale_states.AFTER_SALE_STATES, after_sale_states.STATUSES),
    "merchants": (merchants.MERCHANT_STATES, merchants.STATUSES),
    "distributor applications": (distributors.APPLICATION_STATES, distributors.STATUSES),
    "withdrawals": (withdrawals.WITHDRAWAL_STATES, withdrawals.STATUSES),
    "settlement statements": (settlement.STATEMENT_STATES, settlement.STATUSES),
    "wholesale units": (unit_states.UNIT_STATES, unit_states.STATUSES),
    "coupon templates": (coupon_templates.TEMPLATE_STATES, coupon_templates.STATUSES),
    "user coupons": (coupons.USER_COUPON_STATES, coupons.STATUSES),
}

LIGHT = StateMachine(
    "lamp",
    {
        "switch_on": Transition("OFF", "ON", stamp="on_at"),
        "switch_off": Transition(("ON", "BLINKING"), "OFF"),
        "blink": Transition("ON", "BLINKING", requires="LED", code=ErrorCode.INVALID_INPUT),
    },
    guard="kind",
    touch="updated_at",
    field="lampId",
)


def test_target_follows_the_table_and_its_guard():
    assert LIGHT.target("switch_on", "OFF") == "ON"
    assert LIGHT.target("switch_off", "BLINKING") == "OFF"
    assert LIGHT.target("blink", "ON", "LED") == "BLINKING"
    assert LIGHT.states == {"ON", "OFF", "BLINKING"}
    assert LIGHT.sources("switch_off") == {"ON", "BLINKING"}
    for action, status, guard in [("switch_on", "ON", None), ("blink", "ON", "BULB"), ("blink", "OFF", "LED")]:
        assert not LIGHT.allows(action, status, guard)
        with pytest.raises(DomainError):
            LIGHT.target(action, status, guard)


def test_a_refusal_is_one_coded_error_naming_the_state_and_the_action():
    with pytest.raises(DomainError) as caught:
        LIGHT.target("switch_on", "ON")
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_TRANSITION, "lampId")
    assert caught.value.message == "A lamp that is ON cannot switch on."
    with pytest.raises(DomainError) as caught:
        LIGHT.target("blink", "OFF", "LED", field="id")
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_INPUT, "id")  # the transition's own code
    with pytest.raises(DomainError) as caught:
        states.ORDER_STATES.target("ship", states.PENDING_PAYMENT, states.EXPRESS)
    assert caught.value.message == "An order that is PENDING_PAYMENT cannot ship."
    with pytest.raises(DomainError) as caught:
        after_sale_states.AFTER_SALE_STATES.target("ship_return", "REQUESTED", after_sale_states.RETURN_REFUND)
    assert caught.value.message == "A return-refund request that is REQUESTED cannot ship return."


def test_values_are_the_target_its_stamp_the_touched_column_and_the_callers_columns():
    now = datetime(2026, 6, 10, 2, tzinfo=UTC)
    assert LIGHT.values("switch_on", now, colour="red") == {
        "status": "ON",
        "on_at": now,
        "updated_at": now,
        "colour": "red",
    }
    assert LIGHT.values("switch_off", now) == {"status": "OFF", "updated_at": now}
    assert LIGHT.values("switch_on", now, on_at=None)["on_at"] is None  # the caller's columns win


def test_a_single_source_may_be_given_as_one_state():
    assert Transition("A", "B").sources == frozenset({"A"})
    assert Transition(["A", "C"], "B").sources == frozenset({"A", "C"})


@pytest.mark.parametrize("domain", sorted(MACHINES))
def test_every_table_names_only_its_domains_statuses(domain):
    machine, statuses = MACHINES[domain]
    assert machine.states <= set(statuses), machine.states - set(statuses)
    for action, t in machine.transitions.items():
        assert t.sources and t.target not in t.sources, action  # every action changes the state


@pytest.mark.parametrize("domain", sorted(MACHINES))
def test_target_agrees_with_the_table_for_every_action_state_and_guard(domain):
    machine, statuses = MACHINES[domain]
    guards = {None} | {t.requires for t in machine.transitions.values()}
    for action, t in machine.transitions.items():
        for status in (*statuses, "NO_SUCH_STATE"):
            for guard in guards:
                expected = status in t.sources and t.requires in (None, guard)
                assert machine.allows(action, status, guard) is expected, (action, status, guard)
                if expected:
                    assert machine.target(action, status, guard) == t.target
                    continue
                with pytest.raises(DomainError) as caught:
                    machine.target(action, status, guard)
                assert caught.value.code == t.code and caught.value.field == machine.field, (action, status)
                assert f" that is {status} cannot {action.lower().replace('_', ' ')}." in caught.value.message
