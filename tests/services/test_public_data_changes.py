"""`events.public_data_changed()`: announced once after the outermost unit of work commits,
before the unit's live events; never for a unit (or savepoint) that rolled back. And which
catalog changes announce one (what the response cache forgets)."""

from __future__ import annotations

import pytest

from models.catalog import Sku
from services.catalog import content, stock
from services.catalog import products as catalog
from services.core import events
from services.core.errors import DomainError
from services.merchants import merchants
from tests.catalog_factories import make_merchant, make_product, owner_grants, sku
from tests.helpers import make_user


@pytest.fixture
def heard():
    """What happened after commits, in order: "changed" for an announcement, channels for events."""
    log: list[str] = []

    async def listener() -> None:
        log.append("changed")

    async def publisher(channel: str, message: str) -> None:
        log.append(channel)

    previous_listener, previous_publisher = events._change_listener, events._publisher
    events.set_change_listener(listener)
    events.set_publisher(publisher)
    yield log
    events.set_change_listener(previous_listener)
    events.set_publisher(previous_publisher)


class _Boom(Exception):
    pass


async def test_announced_once_after_the_commit_before_the_live_events(heard):
    from services.catalog.events import ProductRelisted

    async with events.unit_of_work():
        events.emit("merchant:1", ProductRelisted(1))
        events.public_data_changed()
        events.public_data_changed()
        assert heard == []  # not before the commit
    assert heard == ["changed", "merchant:1"]


async def test_not_announced_when_it_rolls_back(heard):
    with pytest.raises(_Boom):
        async with events.unit_of_work():
            events.public_data_changed()
            raise _Boom
    assert heard == []


async def test_a_savepoint_joins_its_unit(heard):
    async with events.unit_of_work():
        with pytest.raises(_Boom):
            async with events.unit_of_work():
                events.public_data_changed()
                raise _Boom  # rolled back to the savepoint: its change never happened
    assert heard == []
    async with events.unit_of_work():
        async with events.unit_of_work():
            events.public_data_changed()
        assert heard == []  # the outer unit has not committed yet
    assert heard == ["changed"]


async def test_outside_a_unit_of_work_it_is_refused():
    with pytest.raises(RuntimeError):
        events.public_data_changed()


async def test_a_failing_listener_does_not_fail_the_committed_change(heard):
    async def broken() -> None:
        raise OSError("cache away")

    from services.catalog.events import ProductRelisted

    events.set_change_listener(broken)
    async with events.unit_of_work():
        events.emit("merchant:1", ProductRelisted(1))
        events.public_data_changed()
    assert heard == ["merchant:1"]  # logged; the live events still go out


async def test_which_catalog_changes_announce(heard):
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    category = await catalog.create_category("服装")
    draft = await make_product(merchant, category.id, skus=[sku("A", stock=2)], listed=False)
    heard.clear()
    await catalog.update_product(grants, None, draft.id, catalog.ProductData(category_id=category.id, title="新"))
    assert heard.count("changed") == 1
    heard.clear()
    product = await catalog.list_product(grants, draft.id)
    a = await Sku.get(code="A")
    await stock.adjust_stock(a.id, -1, stock.ORDER_RESERVE)  # 2 -> 1: a count, not sold out
    assert heard.count("changed") == 1  # the listing only
    heard.clear()
    await stock.adjust_stock(a.id, -1, stock.ORDER_RESERVE)  # 1 -> 0: sold out (and delisted)
    await stock.adjust_stock(a.id, 1, stock.ORDER_RELEASE)  # 0 -> 1: back (relisted)
    assert heard.count("changed") == 2
    heard.clear()
    with pytest.raises(DomainError):
        await stock.adjust_stock(a.id, -5, stock.ORDER_RESERVE)  # refused: nothing changed
    await catalog.delist_product(grants, product.id)
    await catalog.reorder_category(category.id, 3)
    await content.set_recommendations("HOME", "PRODUCT", [product.id])
    admin = await make_user("admin", roles=("admin",))
    await merchants.review(admin.id, merchant.id, "SUSPEND", "资质过期")
    assert heard.count("changed") == 4
