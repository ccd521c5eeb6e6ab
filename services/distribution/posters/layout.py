"""A share poster's layout, pure (MKT-5): the template's data (size, colours, boxes) parsed
into dataclasses, Chinese titles wrapped by measured width, and the list of draw operations
the renderer paints in order. No Pillow here: widths come from a `measure(text, size)`
function, so the layout is tested without fonts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from services.core.errors import DomainError, ErrorCode

MAX_SIDE = 2000  # px: the largest poster side a template may ask for
MIN_SIDE = 100
ELLIPSIS = "…"
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")

Measure = Callable[[str, int], int]  # (text, font size) -> width in px


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class TextStyle:
    x: int
    y: int
    w: int  # the width text wraps at
    size: int  # font size, px
    colour: str  # "#RRGGBB"
    lines: int = 1  # at most this many lines; the last one ends with … when cut
    line_height: int = 0  # px between baselines; 0: 1.4 × size


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    background: str
    image: Box  # the product image, cropped to fill
    title: TextStyle
    price: TextStyle
    avatar: Box  # the distributor's avatar, a circle
    nickname: TextStyle
    caption: TextStyle
    caption_text: str  # e.g. 长按识别二维码
    qr: Box  # the QR code of the distributor's tracked link


DEFAULT = {
    "width": 750,
    "height": 1200,
    "background": "#FFFFFF",
    "image": {"x": 0, "y": 0, "w": 750, "h": 750},
    "title": {"x": 40, "y": 780, "w": 670, "size": 34, "colour": "#222222", "lines": 2, "line_height": 48},
    "price": {"x": 40, "y": 890, "w": 400, "size": 44, "colour": "#E4393C"},
    "avatar": {"x": 40, "y": 990, "w": 110, "h": 110},
    "nickname": {"x": 170, "y": 1005, "w": 300, "size": 28, "colour": "#333333"},
    "caption": {"x": 170, "y": 1055, "w": 300, "size": 22, "colour": "#999999"},
    "caption_text": "长按识别二维码 查看商品",
    "qr": {"x": 520, "y": 960, "w": 190, "h": 190},
}


def _int(raw: dict, key: str, field: str, low: int, high: int) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}.{key}: a whole number {low} to {high}.", field)
    return value


def _colour(raw: dict, key: str, field: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}.{key}: a colour as #RRGGBB.", field)
    return value.upper()


def _box(raw: Any, field: str, width: int, height: int) -> Box:
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: a box.", field)
    x, y = _int(raw, "x", field, 0, width - 1), _int(raw, "y", field, 0, height - 1)
    return Box(x, y, _int(raw, "w", field, 1, width - x), _int(raw, "h", field, 1, height - y))


def _text(raw: Any, field: str, width: int, height: int) -> TextStyle:
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: a text style.", field)
    x, y = _int(raw, "x", field, 0, width - 1), _int(raw, "y", field, 0, height - 1)
    return TextStyle(
        x,
        y,
        _int(raw, "w", field, 1, width - x),
        _int(raw, "size", field, 8, 200),
        _colour(raw, "colour", field),
        _int(raw | {"lines": raw.get("lines", 1)}, "lines", field, 1, 5),
        _int(raw | {"line_height": raw.get("line_height", 0)}, "line_height", field, 0, 400),
    )


def parse(raw: Any) -> Layout:
    """A template's layout data, checked: INVALID_INPUT (with the part) when anything is off."""
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.INVALID_INPUT, "A layout.", "layout")
    width = _int(raw, "width", "layout", MIN_SIDE, MAX_SIDE)
    height = _int(raw, "height", "layout", MIN_SIDE, MAX_SIDE)
    caption_text = raw.get("caption_text", "")
    if not isinstance(caption_text, str) or len(caption_text) > 32:
        raise DomainError(ErrorCode.INVALID_INPUT, "A caption of at most 32 characters.", "captionText")
    return Layout(
        width=width,
        height=height,
        background=_colour(raw, "background", "layout"),
        image=_box(raw.get("image"), "image", width, height),
        title=_text(raw.get("title"), "title", width, height),
        price=_text(raw.get("price"), "price", width, height),
        avatar=_box(raw.get("avatar"), "avatar", width, height),
        nickname=_text(raw.get("nickname"), "nickname", width, height),
        caption=_text(raw.get("caption"), "caption", width, height),
        caption_text=caption_text,
        qr=_box(raw.get("qr"), "qr", width, height),
    )


def to_data(layout: Layout) -> dict:
    return asdict(layout)


def wrap(text: str, width: int, size: int, lines: int, measure: Measure) -> list[str]:
    """`text` in at most `lines` lines no wider than `width`: broken between any two characters
    (Chinese has no spaces; a Latin word is kept whole when it fits a line), the last line cut
    with … when the text does not fit. Never an empty list for a non-empty text."""
    text = " ".join(text.split())
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        fit = _fit(rest, width, size, measure)
        if fit < len(rest):  # keep a Latin word whole when a space is near
            space = rest.rfind(" ", 0, fit + 1)
            if space > 0 and rest[fit - 1 : fit + 1].isascii() and rest[fit - 1].isalnum() and rest[fit].isalnum():
                fit = space
        out.append(rest[:fit].rstrip())
        rest = rest[fit:].lstrip()
    if rest and out:  # cut: the last line ends with … and still fits
        last = out[-1]
        while last and measure(last + ELLIPSIS, size) > width:
            last = last[:-1]
        out[-1] = last + ELLIPSIS
    return out


def _fit(text: str, width: int, size: int, measure: Measure) -> int:
    """How many leading characters of `text` fit `width` (at least one, so wrapping ends)."""
    low, high = 1, len(text)
    while low < high:  # the widest prefix that fits, by bisection (widths grow with length)
        mid = (low + high + 1) // 2
        if measure(text[:mid], size) <= width:
            low = mid
        else:
            high = mid - 1
    return low


# --------------------------------------------------------------------------- draw operations


@dataclass(frozen=True)
class Fill:
    colour: str
    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    slot: str  # "image" (the product's) or "avatar"
    box: Box
    round: bool  # cut to a circle


@dataclass(frozen=True)
class Text:
    text: str
    x: int
    y: int  # the line's top
    size: int
    colour: str


@dataclass(frozen=True)
class Qr:
    data: str
    box: Box


@dataclass(frozen=True)
class Content:
    title: str
    price: str  # already formatted, e.g. ¥99.00
    nickname: str
    link: str  # what the QR code encodes


def price_text(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def _lines(text: str, style: TextStyle, measure: Measure) -> list[Text]:
    step = style.line_height or (style.size * 14 + 9) // 10
    rows = wrap(text, style.w, style.size, style.lines, measure)
    return [Text(row, style.x, style.y + i * step, style.size, style.colour) for i, row in enumerate(rows)]


def plan(layout: Layout, content: Content, measure: Measure) -> list[Fill | Picture | Text | Qr]:
    """The operations that draw the poster, in painting order."""
    return [
        Fill(layout.background, layout.width, layout.height),
        Picture("image", layout.image, round=False),
        *_lines(content.title, layout.title, measure),
        *_lines(content.price, layout.price, measure),
        Picture("avatar", layout.avatar, round=True),
        *_lines(content.nickname, layout.nickname, measure),
        *_lines(layout.caption_text, layout.caption, measure),
        Qr(content.link, layout.qr),
    ]
