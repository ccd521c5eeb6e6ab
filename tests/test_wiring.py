"""The wiring is the one place that connects the features, in a visible order."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import wiring
from services.accounts import referral, review_queues
from services.core.hooks import NotWired, Reactions
from services.marketing import activities
from services.orders import hooks
from services.orders import payments as order_payments

ROOT = Path(__file__).resolve().parents[1]

ORDER = {
    "order paid": [
        "marketing.take_points",
        "membership.extend",
        "consignment.use_vouchers",
        "consignment.create_units",
        "consignment.grant_vouchers",
        "distribution.gift_packs",
        "distribution.commissions",
        "distribution.claims",
        "risk.screen_payment",
        "marketing.group_seats",
        "stores.announce_payment",
        "stores.issue_punch_cards",
        "stores.confirm_bookings",
        "stores.open_deliveries",
        "orders.complete_virtual",
        "consignment.match_queue",
    ],
    "unpaid order cancelled": [
        "consignment.release_vouchers",
        "marketing.return_coupons",
        "marketing.return_coins",
        "stores.release_bookings",
        "marketing.return_flash_units",
        "marketing.release_group_seats",
        "marketing.free_bargains",
    ],
    "order completed": ["distribution.grades", "marketing.grant_rewards"],
    "order picked up": ["distribution.franchise_pickup"],
    "order line refunded": [
        "membership.shorten",
        "consignment.reverse",
        "distribution.commissions",
        "risk.screen_refund",
        "marketing.take_back_rewards",
    ],
    "referral bound": ["distribution.grades"],
}


def test_the_reactions_run_in_the_documented_order():
    """docs/architecture.md's wiring table says the same; change both together."""
    assert wiring.describe() == ORDER
    rows = re.findall(r"^\| ([a-z ]+) \| ([a-z_., ]+) \|$", (ROOT / "docs/architecture.md").read_text(), flags=re.M)
    assert {event: steps.split(", ") for event, steps in rows if event != "event"} == ORDER
    assert list(review_queues.QUEUES) == [
        "DISTRIBUTOR_APPLICATIONS",
        "RISK_CASES",
        "WITHDRAWALS",
        "MERCHANT_APPLICATIONS",
    ]
    assert sorted(hooks.ZONE_RULES.entries) == ["MEMBERSHIP", "POINTS", "SERVICE", "STORE_PAYMENT", "WHOLESALE"]
    assert list(order_payments.REFUND_METHODS.entries) == ["MEMBER_CARD"]
    assert sorted(activities.ACTIVITIES.entries) == ["BARGAIN", "FLASH", "GROUP"] and activities.OWN_STOCK == {"FLASH"}


def test_install_twice_registers_everything_once():
    wiring.install()
    wiring.install()
    assert wiring.describe() == ORDER
    assert len(review_queues.QUEUES) == 4


async def test_an_unwired_event_refuses_to_run_instead_of_skipping_its_reactions():
    event: Reactions[int] = Reactions("something happened")
    try:
        await event.run(1, None)
    except NotWired as exc:
        assert "wiring.install()" in str(exc)
    else:
        raise AssertionError("an unwired event ran")
    assert referral.BOUND.wired and hooks.PAID.wired


def test_no_module_registers_anything_when_imported():
    """Importing every module (app, worker, all services) without wiring.install() leaves
    every event without steps: nothing depends on import order or side effects."""
    script = textwrap.dedent(
        """
        import importlib, pkgutil, app, worker, services
        for info in pkgutil.walk_packages(services.__path__, "services."):
            importlib.import_module(info.name)
        from services.orders import hooks
        from services.accounts import referral, review_queues
        from services.distribution import commissions
        from jobs.runner import REGISTRY
        from services.core.events import registered_events
        events = [*hooks.ALL_REACTIONS, referral.BOUND]
        assert all(not e.steps for e in events), [e.names() for e in events]
        assert not hooks.ZONE_RULES.entries and not review_queues.QUEUES
        from services.marketing import activities
        assert not activities.ACTIVITIES.entries and not activities.OWN_STOCK
        assert not commissions.PAID_CLAIMS and not REGISTRY and not registered_events()
        print("clean")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "clean", result.stdout + result.stderr


def _lint_copy(tmp_path: Path, edit: tuple[str, str]) -> subprocess.CompletedProcess:
    """import-linter over a copy of the tree with one module changed."""
    for name in ("services", "models", "schema", "resolvers", "subscriptions", "loaders", "jobs"):
        subprocess.run(["cp", "-r", str(ROOT / name), str(tmp_path / name)], check=True)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    path, line = edit
    target = tmp_path / path
    target.write_text(target.read_text() + "\n" + line + "\n")
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )


def test_the_contracts_hold_on_a_faithful_copy(tmp_path):
    result = _lint_copy(tmp_path, ("services/orders/checkout.py", "# nothing added"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_cycle_between_packages_breaks_the_contracts(tmp_path):
    # orders importing a feature that reacts to it: a layer violation and a cycle
    result = _lint_copy(tmp_path, ("services/orders/checkout.py", "from services.distribution import commissions"))
    assert result.returncode != 0
    assert "services.orders is not allowed to import services.distribution" in result.stdout
    assert "No cycles are allowed in services." in result.stdout


def test_a_cycle_inside_a_package_breaks_the_contracts(tmp_path):
    result = _lint_copy(tmp_path, ("services/catalog/stock.py", "from services.catalog import products"))
    assert result.returncode != 0
    assert "No cycles are allowed in services.catalog." in result.stdout


def test_models_importing_a_service_breaks_the_contracts(tmp_path):
    result = _lint_copy(tmp_path, ("models/orders.py", "from services.core import clock"))
    assert result.returncode != 0
    assert "models is not allowed to import services" in result.stdout
