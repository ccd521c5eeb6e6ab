"""Keyset pagination over a queryset, newest first (by id).

Cursors are opaque to clients; a page never costs an OFFSET scan.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Generic, TypeVar

import settings
from services.core.errors import DomainError, ErrorCode

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    has_next_page: bool
    has_previous_page: bool

    @property
    def cursors(self) -> list[str]:
        return [encode_cursor(item.id) for item in self.items]  # type: ignore[attr-defined]


def encode_cursor(item_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(ErrorCode.INVALID_CURSOR, "This cursor is not valid.", "after") from exc


def check_page_size(first: int) -> int:
    if first < 0 or first > settings.MAX_PAGE_SIZE:
        raise DomainError(
            ErrorCode.PAGE_SIZE_EXCEEDED, f"`first` must be between 0 and {settings.MAX_PAGE_SIZE}.", "first"
        )
    return first


async def paginate(queryset, first: int, after: str | None = None) -> Page:
    check_page_size(first)
    query = queryset
    if after:
        query = query.filter(id__lt=decode_cursor(after))
    rows = await query.order_by("-id").limit(first + 1)
    return Page(items=list(rows[:first]), has_next_page=len(rows) > first, has_previous_page=after is not None)
