"""Offline stores: management by the merchant, store staff, and the public nearest-stores search (MER-2)."""

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, USER_IDS, api_errors, login_required, parse_id, payload_errors
from schema.types.accounts import OkPayload
from schema.types.merchants import Degrees, NearbyStore, StoreInput, StorePayload, StoreStaffPayload
from services.merchants import stores


def _store_data(data: StoreInput) -> stores.StoreData:
    return stores.StoreData(
        name=data.name,
        province_code=data.province_code,
        city_code=data.city_code,
        county_code=data.county_code,
        address=data.address,
        latitude=data.latitude,
        longitude=data.longitude,
        phone=data.phone,
        region_name=data.region_name,
        service_items=list(data.service_items),
        opening_hours=[
            stores.OpeningHours(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in data.opening_hours
        ],
    )


@strawberry.type
class StoreQueries:
    @strawberry.field(
        description="Active stores of active merchants within `radiusMeters` of a point, nearest first, with their distance."
    )
    @api_errors
    async def nearest_stores(
        self,
        latitude: Annotated[Degrees, strawberry.argument(description="Latitude of the search point, WGS-84 degrees.")],
        longitude: Annotated[
            Degrees, strawberry.argument(description="Longitude of the search point, WGS-84 degrees.")
        ],
        radius_meters: Annotated[
            int, strawberry.argument(description=f"Search radius, 1 to {stores.MAX_RADIUS_M} metres.")
        ] = 5000,
        first: Annotated[
            int, strawberry.argument(description="At most this many stores (at most the page-size cap).")
        ] = 20,
    ) -> list[NearbyStore]:
        found = await stores.nearest_stores(latitude, longitude, radius_meters, first)
        return [NearbyStore(store=store, distance_meters=round(distance)) for store, distance in found]


STORE_ID = "The store."


@strawberry.type
class StoreMutations:
    @strawberry.mutation(
        description="Open an offline store for an active merchant. Needs merchant.settings.",
        extensions=login_required(),
    )
    @payload_errors
    async def create_store(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")],
        input: Annotated[StoreInput, strawberry.argument(description="The store's details.")],
    ) -> StorePayload:
        grants = await info.context.grants()
        return StorePayload(
            store=await stores.create_store(
                grants, parse_id(merchant_id, "merchantId", of=MERCHANT_IDS), _store_data(input)
            )
        )

    @strawberry.mutation(description="Replace a store's details. Needs merchant.settings.", extensions=login_required())
    @payload_errors
    async def update_store(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        input: Annotated[StoreInput, strawberry.argument(description="The store's details.")],
    ) -> StorePayload:
        return StorePayload(
            store=await stores.update_store(await info.context.grants(), parse_id(id, of="Store"), _store_data(input))
        )

    @strawberry.mutation(
        description="Close a store: hidden from customers and searches. Needs merchant.settings.",
        extensions=login_required(),
    )
    @payload_errors
    async def deactivate_store(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)]
    ) -> StorePayload:
        return StorePayload(
            store=await stores.set_store_active(await info.context.grants(), parse_id(id, of="Store"), False)
        )

    @strawberry.mutation(
        description="Reopen a closed store of an active merchant. Needs merchant.settings.", extensions=login_required()
    )
    @payload_errors
    async def activate_store(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)]
    ) -> StorePayload:
        return StorePayload(
            store=await stores.set_store_active(await info.context.grants(), parse_id(id, of="Store"), True)
        )

    @strawberry.mutation(
        description="Add a store staff member (pickup verification), by user id or phone. Needs merchant.staff.",
        extensions=login_required(),
    )
    @payload_errors
    async def add_store_staff(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        user_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The user to add (or give `phone`).")
        ] = None,
        phone: Annotated[
            str | None, strawberry.argument(description="Phone number of the user to add (or give `userId`).")
        ] = None,
    ) -> StoreStaffPayload:
        staff = await stores.add_store_staff(
            await info.context.grants(),
            parse_id(store_id, "storeId", of="Store"),
            user_id=parse_id(user_id, "userId", of=USER_IDS) if user_id is not None else None,
            phone=phone,
        )
        return StoreStaffPayload(staff=staff)

    @strawberry.mutation(description="Remove a store staff member. Needs merchant.staff.", extensions=login_required())
    @payload_errors
    async def remove_store_staff(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The staff member.")],
    ) -> OkPayload:
        await stores.remove_store_staff(
            await info.context.grants(),
            parse_id(store_id, "storeId", of="Store"),
            parse_id(user_id, "userId", of=USER_IDS),
        )
        return OkPayload(ok=True)
