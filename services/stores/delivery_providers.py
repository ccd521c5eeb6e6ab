"""Who carries a store's deliveries (STO-5): the provider interface and the built-in ones.

A provider is dispatched a delivery (it answers its own id for it), reports status changes
back (`services.stores.delivery.on_provider_status(provider, external_id, status)`: for a
production provider, its signed callback route calls that), and can cancel a dispatch not yet
picked up. STORE_DELIVERY_PROVIDER names the one in use:

- `riders` (default): the store's own riders. Dispatching records the rider; store staff
  (store.delivery) move the statuses themselves (`updateStoreDelivery`).
- `dev`: a development provider that moves itself on, one status per run of the worker job
  `advance_dev_deliveries` (dispatched -> picked up -> delivered), through the same callback.
- a production provider (e.g. a city courier platform): a class implementing
  `DeliveryProvider` in its own module, named `package.module:Class`; its HTTP callback route
  verifies the provider's signature and calls `on_provider_status`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

import settings
from services.core.plugins import PluginSlot


@dataclass(frozen=True)
class DispatchRequest:
    delivery_id: int
    order_no: str
    store_name: str
    store_address: str
    store_lat: float
    store_lng: float
    address: dict  # the order's address snapshot
    lat: float
    lng: float
    rider_name: str = ""  # the store's own rider (riders provider)
    rider_phone: str = ""


class DeliveryProvider(Protocol):
    name: str  # stored on each delivery
    staff_moves_statuses: bool  # True: store staff report pick-up and delivery (own riders)
    self_advancing: bool  # True: the worker's advance_dev_deliveries moves it (dev)

    async def dispatch(self, request: DispatchRequest) -> str:
        """Hand the delivery over; the provider's id for it."""
        ...

    async def cancel(self, external_id: str) -> None:
        """Call off a dispatch not picked up yet (best effort)."""
        ...


class OwnRiders:
    """The store's own riders: nothing leaves the system; staff move the statuses."""

    name = "riders"
    staff_moves_statuses = True
    self_advancing = False

    async def dispatch(self, request: DispatchRequest) -> str:
        return f"R{request.delivery_id}-{secrets.token_hex(4)}"

    async def cancel(self, external_id: str) -> None:
        return None


class DevProvider:
    """Development: accepts every dispatch and moves itself on (worker job advance_dev_deliveries)."""

    name = "dev"
    staff_moves_statuses = False
    self_advancing = True

    async def dispatch(self, request: DispatchRequest) -> str:
        return f"DEV{request.delivery_id}-{secrets.token_hex(4)}"

    async def cancel(self, external_id: str) -> None:
        return None


# The built-in providers are offered by wiring.py (ADAPTERS).
provider: PluginSlot[DeliveryProvider] = PluginSlot(lambda: settings.STORE_DELIVERY_PROVIDER, {})
