"""Cursor connections (Relay style) with a page-size cap (settings.MAX_PAGE_SIZE)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from services.core.pagination import Page

NodeT = TypeVar("NodeT")


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow `endCursor`.")
    has_previous_page: bool = strawberry.field(description="Items precede `startCursor`.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item on this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")


@strawberry.type(description="An item and its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list. Ask with `first` (at most the page-size cap) and `after`.")
class Connection(Generic[NodeT]):
    nodes: list[NodeT] = strawberry.field(description="The items alone.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    cursors: strawberry.Private[list[str]]

    @strawberry.field(description="Items with their cursors.")
    def edges(self) -> list[Edge[NodeT]]:
        # Built only when asked for: most clients read `nodes` and `pageInfo`.
        return [Edge(cursor=c, node=n) for c, n in zip(self.cursors, self.nodes)]


def to_connection(page: Page, convert: Callable | None = None) -> Connection:
    """`convert` maps a row to its GraphQL object; omit it for types resolved from rows."""
    nodes = [convert(item) for item in page.items] if convert else list(page.items)
    cursors = page.cursors
    return Connection(
        cursors=cursors,
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
    )
