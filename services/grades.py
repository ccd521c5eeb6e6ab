"""Member grades (CON-7 gift packs; grows with DIS-6 / MEM-4). A grade only goes up by a
gift pack; every change is recorded in GradeChange in the same transaction."""

from __future__ import annotations

from models.catalog import Product
from models.grades import GradeChange, UserGrade
from models.orders import Order
from services import order_hooks
from services.catalog import GIFT_GRADES
from services.events import emit, user_channel


def rank(grade: str) -> int:
    """Position in the grade ladder; -1 for none."""
    return GIFT_GRADES.index(grade) if grade in GIFT_GRADES else -1


async def grade_of(user_id: int, conn=None) -> str:
    query = UserGrade.filter(user_id=user_id)
    rows = await (query.using_db(conn) if conn else query).values_list("grade", flat=True)
    return rows[0] if rows else ""


async def set_grade(user_id: int, grade: str, *, source: str, reference_id: str = "", actor_id: int | None = None, conn) -> bool:
    current = await grade_of(user_id, conn)
    if current == grade:
        return False
    updated = await UserGrade.filter(user_id=user_id).using_db(conn).update(grade=grade)
    if not updated:
        await UserGrade.create(user_id=user_id, grade=grade, using_db=conn)
    await GradeChange.create(user_id=user_id, from_grade=current, to_grade=grade, source=source,
                             reference_id=reference_id, actor_id=actor_id, using_db=conn)
    emit(user_channel(user_id), {"type": "grade_changed", "grade": grade})
    return True


async def apply_gift_packs(order: Order, conn) -> None:
    """A paid order with a gift pack raises the buyer's grade to the pack's (never lowers it)."""
    lines = await order_hooks.paid_lines(order, conn, ("GIFT_PACK",))
    if not lines:
        return
    grades = dict(await Product.filter(id__in=[ln.product_id for ln in lines]).using_db(conn).values_list("id", "gift_grade"))
    best = max(lines, key=lambda ln: rank(grades.get(ln.product_id, "")))
    target = grades.get(best.product_id, "")
    if rank(target) > rank(await grade_of(order.buyer_id, conn)):
        await set_grade(order.buyer_id, target, source="GIFT_PACK", reference_id=str(best.id), conn=conn)


def history(user_id: int):
    return GradeChange.filter(user_id=user_id)
