"""Poster templates (MKT-5), managed by the platform (marketing.manage): a name and a layout
as data (validated by services.distribution.posters.layout.parse). Every change raises the
version, so the cached posters of the old layout are never served again. When no template
is marked default, the built-in layout (layout.DEFAULT, version 0) is used."""

from __future__ import annotations

from dataclasses import dataclass

from models.marketing import PosterTemplate
from services.accounts.access import Grants
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.distribution.posters import layout as lay
from services.marketing.coupon_templates import authorize


@dataclass(frozen=True)
class Chosen:
    id: int  # 0: the built-in layout
    version: int
    layout: lay.Layout


BUILT_IN = Chosen(0, 0, lay.parse(lay.DEFAULT))


def _name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A name of 1 to 64 characters.", "name")
    return name


async def create(grants: Grants, actor_id: int | None, name: str, data: dict, is_default: bool) -> PosterTemplate:
    """FORBIDDEN, INVALID_INPUT; nothing written then."""
    authorize(grants, None)
    name, layout = _name(name), lay.parse(data)
    async with unit_of_work() as conn:
        if is_default:
            await PosterTemplate.filter(is_default=True).using_db(conn).update(is_default=False)
        return await PosterTemplate.create(
            name=name, layout=lay.to_data(layout), is_default=is_default, created_by_id=actor_id, using_db=conn
        )


async def update(
    grants: Grants, template_id: int, name: str, data: dict, is_default: bool, is_active: bool
) -> PosterTemplate:
    """A new version of the template. FORBIDDEN, NOT_FOUND, INVALID_INPUT; nothing written then."""
    authorize(grants, None)
    name, layout = _name(name), lay.parse(data)
    async with unit_of_work() as conn:
        row = await PosterTemplate.filter(id=template_id).using_db(conn).select_for_update().first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such poster template.", "id")
        if is_default:
            await PosterTemplate.filter(is_default=True).using_db(conn).update(is_default=False)
        row.name, row.layout, row.is_default, row.is_active = name, lay.to_data(layout), is_default, is_active
        row.version += 1
        await row.save(using_db=conn)
    return row


def listing(grants: Grants):
    authorize(grants, None)
    return PosterTemplate.all().order_by("-is_default", "id")


async def choose(template_id: int | None) -> Chosen:
    """The template asked for (active), else the default one, else the built-in layout."""
    if template_id is None:
        row = await PosterTemplate.filter(is_default=True, is_active=True).first()
        return BUILT_IN if row is None else Chosen(row.id, row.version, lay.parse(row.layout))
    row = await PosterTemplate.get_or_none(id=template_id, is_active=True)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such poster template.", "templateId")
    return Chosen(row.id, row.version, lay.parse(row.layout))
