"""SMS sending behind one interface.

Production: implement `SmsSender` for your provider (Aliyun SMS, Tencent Cloud SMS ...)
and set SMS_SENDER=package.module:ClassName. Dev uses the console sender; tests the memory one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import settings
from services.core.plugins import PluginSlot


class SmsSender(Protocol):
    async def send_code(self, phone: str, code: str, ttl_seconds: int) -> None: ...


class ConsoleSmsSender:
    """Development: prints the code where the developer runs the server."""

    async def send_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        print(f"[sms] sign-in code for {phone}: {code} (valid {ttl_seconds // 60} min)", flush=True)


@dataclass
class MemorySmsSender:
    """Tests: keeps what was sent."""

    outbox: list[tuple[str, str]] = field(default_factory=list)

    async def send_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        self.outbox.append((phone, code))

    def last_code(self, phone: str) -> str | None:
        return next((c for p, c in reversed(self.outbox) if p == phone), None)


_slot: PluginSlot[SmsSender] = PluginSlot(
    lambda: settings.SMS_SENDER, {"console": ConsoleSmsSender, "memory": MemorySmsSender}
)
get_sender = _slot.get
set_sender = _slot.set
