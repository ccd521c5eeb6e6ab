"""Mechanical checks of the project's own rules."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_services_never_import_the_api_layer():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_migrations_match_the_models():
    from tortoise import Tortoise
    from tortoise.migrations.autodetector import MigrationAutodetector

    import settings

    writers = await MigrationAutodetector(Tortoise.apps, settings.TORTOISE_ORM["apps"]).changes()
    assert [w.name for w in writers] == [], "run `python -m manage makemigrations` and commit the migration"


def test_every_setting_is_in_the_env_example():
    import re

    names = set(re.findall(r'config\(\s*"([A-Z0-9_]+)"', (ROOT / "settings.py").read_text()))
    example = set(re.findall(r"^# ([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert names - example == set(), "add these settings to .env.example"
    assert example - names == set(), "these are in .env.example but settings.py does not read them"


def test_the_lock_files_pin_every_dependency_exactly():
    for name in ("requirements.txt", "requirements-test.txt"):
        pins = [ln for ln in (ROOT / name).read_text().splitlines() if ln and not ln.startswith((" ", "#"))]
        assert pins and all("==" in ln for ln in pins), name


def _status_sets() -> dict[str, set[str]]:
    """Every known status set (and the orders' delivery types, a guard of their table), by the
    module that owns (defines) it."""
    from services.catalog import product_states
    from services.consignment import unit_states, vouchers
    from services.distribution import commissions, distributors
    from services.finance import payouts, settlement, withdrawals
    from services.marketing import bargain, coupon_templates, coupons, flash, group, group_rules
    from services.membership import membership
    from services.merchants import merchants
    from services.orders import after_sale_states, fulfilment, messages, payments, sandbox_gateway, states
    from services.risk import control
    from services.stores import bookings, delivery, member_cards, punch_cards, request_states

    owners = {
        states: (*states.STATUSES, *states.DELIVERY_TYPES),
        payments: (*payments.STATUSES, *payments.REFUND_STATUSES),
        after_sale_states: after_sale_states.STATUSES,
        fulfilment: fulfilment.TRACKING_STATUSES,
        messages: messages.STATUSES,
        sandbox_gateway: sandbox_gateway.STATUSES,
        product_states: (*product_states.STATUSES, *product_states.DELIVERY_KINDS),
        merchants: merchants.STATUSES,
        membership: membership.STATUSES,
        unit_states: unit_states.STATUSES,
        vouchers: vouchers.STATUSES,
        commissions: commissions.STATUSES,
        distributors: distributors.STATUSES,
        withdrawals: withdrawals.STATUSES,
        payouts: payouts.STATUSES,
        settlement: settlement.STATUSES,
        control: (*control.CASE_STATUSES, control.HELD, control.KEPT),
        coupon_templates: coupon_templates.STATUSES,
        coupons: coupons.STATUSES,
        member_cards: member_cards.STATUSES,
        punch_cards: punch_cards.STATUSES,
        bookings: (*bookings.STATUSES, bookings.ONLINE, bookings.AT_STORE),
        delivery: delivery.STATUSES,
        flash: flash.STATUSES,
        request_states: request_states.STATUSES,
        group: (*group.MEMBER_STATUSES, group.ACTIVE, group.ENDED),
        group_rules: group_rules.TEAM_STATUSES,
        bargain: (*bargain.STATUSES, bargain.OPEN, bargain.FLOOR, bargain.BOUGHT, bargain.EXPIRED),
    }
    return {Path(m.__file__).relative_to(ROOT).as_posix(): set(values) for m, values in owners.items()}


# (module, status) pairs that may stay literal, and why.
STATUS_LITERALS_ALLOWED: dict[tuple[str, str], str] = {
    ("services/marketing/flash_rules.py", "ENDED"): "a flash session's shown state (MKT-3), not a template's status",
}


def bare_status_literals() -> list[str]:
    """String literals in services/ naming a status of a set another module owns: the whole
    string ("PAID") or a quoted SQL literal inside it ("... status = 'PAID'"). Docstrings are
    prose and not checked. A module that owns a status of the same name may use it freely."""
    import ast

    owned = _status_sets()
    known = set().union(*owned.values())
    found = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in docstrings:
                continue
            for status in known - owned.get(name, set()):
                if (node.value == status or f"'{status}'" in node.value) and (
                    name,
                    status,
                ) not in STATUS_LITERALS_ALLOWED:
                    found.append(f"{name}:{node.lineno}: {status}")
    return found


def test_statuses_are_named_by_their_owning_module_not_spelled_out_elsewhere():
    assert bare_status_literals() == [], "use the owning module's constant (see _status_sets)"


def _bare_event_types(source: str, wire_types: set[str]) -> list[str]:
    """Where a module builds or matches a live event by its wire type instead of its class:
    a dict literal with a "type" key, or a wire type compared, matched or used as a key."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "type" for k in node.keys):
            found.append((node.lineno, 'a dict with a "type" key'))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            if any(k.arg == "type" for k in node.keywords):
                found.append((node.lineno, "dict(type=...)"))
        compared: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                compared += side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
        elif isinstance(node, ast.MatchValue):
            compared.append(node.value)
        elif isinstance(node, ast.Dict):
            compared += [k for k in node.keys if k is not None]
        found += [
            (c.lineno, f"the wire type {c.value!r}")
            for c in compared
            if isinstance(c, ast.Constant) and c.value in wire_types
        ]
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_live_events_are_built_and_matched_by_class_not_by_type_string():
    """Services emit typed events (services/<domain>/events.py) and subscriptions match them
    by class: the wire `type` strings live in the event definitions only."""
    import wiring

    wire_types = {cls.type for cls in wiring.LIVE_EVENTS}
    assert _bare_event_types('emit(c, {"type": "x", "id": 1})\nif e.get("type") == "sold": pass', wire_types) == [
        '1: a dict with a "type" key',
        "2: the wire type 'sold'",
    ]
    found = [
        f"{path.relative_to(ROOT)}:{where}"
        for package in ("services", "subscriptions")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "events.py"
        for where in _bare_event_types(path.read_text(), wire_types)
    ]
    assert found == []
