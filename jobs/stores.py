"""Store jobs (STO-4, STO-5): no-shows of bookings past their slot, and the development
delivery provider moving its deliveries on. Safe on several workers: rows move by
conditional UPDATEs."""

from __future__ import annotations

from services.stores import bookings, delivery


async def mark_no_shows() -> str:
    return f"marked {await bookings.mark_no_shows()} no-shows"


async def advance_dev_deliveries() -> str:
    return f"advanced {await delivery.advance_dev_deliveries()} deliveries"
