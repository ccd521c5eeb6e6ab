"""Share posters (MKT-5): thin calls into services.distribution.posters; the PNG itself is
served by an HTTP route at a signed URL (`routes`), which a mini-program can download."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from strawberry.types import Info

import settings
from models.accounts import User
from resolvers.common import api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.node import ref
from schema.types.posters import PosterTemplate, PosterTemplateInput, PosterTemplatePayload, SharePoster
from services.core.errors import DomainError, ErrorCode
from services.distribution.posters import service, templates

_template_ref = ref("PosterTemplate")
OPTIONAL_ID = Annotated[strawberry.ID | None, strawberry.argument(description="Exactly one of productId, flashItemId.")]
TEMPLATE = Annotated[
    strawberry.ID | None, strawberry.argument(description="A poster template; default: the platform's default one.")
]


def _target(product_id: strawberry.ID | None, flash_item_id: strawberry.ID | None) -> service.Target:
    if (product_id is None) == (flash_item_id is None):
        raise DomainError(ErrorCode.INVALID_INPUT, "Name exactly one of productId, flashItemId.", "productId")
    if product_id is not None:
        return service.Target(service.PRODUCT, parse_id(product_id, "productId", of="Product"))
    return service.Target(service.FLASH, parse_id(flash_item_id, "flashItemId", of="FlashItem"))


@strawberry.type
class PosterQueries:
    @strawberry.field(
        description="My share poster of a listed product or a flash item: a signed PNG URL whose QR code is my tracked link to it. Drawn once, then served from the cache. Errors: NOT_A_DISTRIBUTOR, NOT_FOUND, PRODUCT_UNAVAILABLE, FLASH_ENDED, IMAGE_UNREACHABLE, IMAGE_TOO_LARGE, IMAGE_INVALID, POSTER_FONT_MISSING.",
        extensions=login_required(),
    )
    @api_errors
    async def share_poster(
        self,
        info: Info,
        product_id: OPTIONAL_ID = None,
        flash_item_id: OPTIONAL_ID = None,
        template_id: TEMPLATE = None,
    ) -> SharePoster:
        target = _target(product_id, flash_item_id)
        template_pk = parse_id(template_id, "templateId", of="PosterTemplate") if template_id is not None else None
        me = viewer(info)
        poster = await service.poster_for(target, me, template_pk)
        path, expires = service.signed_path(target, me.id, template_pk)
        return SharePoster(
            url=settings.PUBLIC_BASE_URL.rstrip("/") + path,
            link=poster.link,
            width=poster.width,
            height=poster.height,
            expires_at=datetime.fromtimestamp(expires, UTC),
            template_id=_template_ref(poster.template_id or None),
        )

    @strawberry.field(
        description="The platform's poster templates (marketing.manage).", extensions=requires("marketing.manage")
    )
    @api_errors
    async def poster_templates(self, info: Info) -> list[PosterTemplate]:
        return [PosterTemplate(row=r) for r in await templates.listing(await info.context.grants())]


@strawberry.type
class PosterMutations:
    @strawberry.mutation(description="Create a poster template (marketing.manage).", extensions=login_required())
    @payload_errors
    async def create_poster_template(
        self, info: Info, input: Annotated[PosterTemplateInput, strawberry.argument(description="The template.")]
    ) -> PosterTemplatePayload:
        row = await templates.create(
            await info.context.grants(), viewer(info).id, input.name, input.layout(), input.is_default
        )
        return PosterTemplatePayload(template=PosterTemplate(row=row))

    @strawberry.mutation(
        description="Change a poster template (marketing.manage): a new version, older posters are drawn again.",
        extensions=login_required(),
    )
    @payload_errors
    async def update_poster_template(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The template.")],
        input: Annotated[PosterTemplateInput, strawberry.argument(description="Its new name and layout.")],
    ) -> PosterTemplatePayload:
        row = await templates.update(
            await info.context.grants(),
            parse_id(id, of="PosterTemplate"),
            input.name,
            input.layout(),
            input.is_default,
            input.is_active,
        )
        return PosterTemplatePayload(template=PosterTemplate(row=row))


async def poster_png(request: Request) -> Response:
    """GET /posters/{payload}.{signature}.png: the signed poster (from the cache, or drawn again
    when evicted); 404 for a forged or expired URL, or when the poster cannot be drawn now."""
    found = service.verify_path(request.path_params["payload"], request.path_params["signature"])
    user = await User.get_or_none(id=found[1], is_active=True) if found else None
    if user is None:
        return PlainTextResponse("No such poster.", status_code=404)
    try:
        poster = await service.poster_for(found[0], user, found[2])
    except DomainError:
        return PlainTextResponse("No such poster.", status_code=404)
    return Response(poster.png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


routes = [Route("/posters/{payload}.{signature}.png", poster_png, methods=["GET"])]
