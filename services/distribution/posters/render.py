"""Paint a poster's draw operations (services.distribution.posters.layout.plan) with Pillow:
text in the configured font (POSTER_FONT_PATH, a font with Chinese glyphs), pictures cropped
to fill their box (the avatar cut to a circle), the QR code scaled by whole modules so it
stays sharp. Synchronous and CPU-bound: the service runs it in a worker thread."""

from __future__ import annotations

import io
import os
from functools import lru_cache

import segno
from PIL import Image, ImageDraw, ImageFont, ImageOps

from services.core.errors import DomainError, ErrorCode
from services.distribution.posters import layout as lay

PLACEHOLDER = "#EEEEEE"  # a picture slot without an image


def font_missing(path: str) -> DomainError:
    return DomainError(ErrorCode.POSTER_FONT_MISSING, f"The poster font is not installed ({os.path.basename(path)}).")


@lru_cache(maxsize=64)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The font at `size`; POSTER_FONT_MISSING when the file is absent or unreadable."""
    try:
        return ImageFont.truetype(path, size)
    except OSError as exc:
        raise font_missing(path) from exc


def measurer(path: str) -> lay.Measure:
    def measure(text: str, size: int) -> int:
        return int(font(path, size).getlength(text) + 0.999)

    return measure


def _picture(data: bytes | None, box: lay.Box, round_: bool) -> Image.Image:
    if data is None:
        tile = Image.new("RGB", (box.w, box.h), PLACEHOLDER)
    else:
        with Image.open(io.BytesIO(data)) as source:
            tile = ImageOps.fit(source.convert("RGB"), (box.w, box.h), Image.Resampling.LANCZOS)
    return tile


def _circle(size: tuple[int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    return mask


def _qr(data: str, box: lay.Box) -> Image.Image:
    code = segno.make(data, error="m")
    side = min(box.w, box.h)
    modules = code.symbol_size(border=2)[0]
    scale = max(1, side // modules)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=2)
    out.seek(0)
    with Image.open(out) as image:
        tile = image.convert("RGB")
    return tile


def render(ops: list, images: dict[str, bytes | None], font_path: str) -> bytes:
    """The poster as PNG bytes."""
    canvas: Image.Image | None = None
    draw: ImageDraw.ImageDraw | None = None
    for op in ops:
        if isinstance(op, lay.Fill):
            canvas = Image.new("RGB", (op.width, op.height), op.colour)
            draw = ImageDraw.Draw(canvas)
        elif isinstance(op, lay.Picture):
            tile = _picture(images.get(op.slot), op.box, op.round)
            canvas.paste(tile, (op.box.x, op.box.y), _circle(tile.size) if op.round else None)
        elif isinstance(op, lay.Text):
            draw.text((op.x, op.y), op.text, fill=op.colour, font=font(font_path, op.size))
        elif isinstance(op, lay.Qr):
            tile = _qr(op.data, op.box)
            left = op.box.x + (op.box.w - tile.width) // 2
            top = op.box.y + (op.box.h - tile.height) // 2
            canvas.paste(tile, (left, top))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=False)
    return out.getvalue()
