"""Real-name verification (RISK-3): submitIdentity, myIdentity."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, payload_errors, viewer
from schema.types.accounts import Identity, IdentityPayload
from services.accounts import identity


@strawberry.type
class IdentityQueries:
    @strawberry.field(
        description="The signed-in user's real-name verification, null until submitted.", extensions=login_required()
    )
    async def my_identity(self, info: Info) -> Identity | None:
        return await identity.get_identity(viewer(info).id)


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        description="Verify the signed-in user's real name with a mainland resident ID number (18 characters, check digit "
        "verified). Once per account; one account per ID number.",
        extensions=login_required(),
    )
    @payload_errors
    async def submit_identity(
        self,
        info: Info,
        real_name: Annotated[str, strawberry.argument(description="Legal name as on the ID card.")],
        id_number: Annotated[str, strawberry.argument(description="Resident ID number; a final x is accepted for X.")],
    ) -> IdentityPayload:
        return IdentityPayload(identity=await identity.submit_identity(viewer(info).id, real_name, id_number))
