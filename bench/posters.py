"""Share posters (MKT-5): p50 time of drawing a poster (layout plan + Pillow paint + PNG) against
a bare Pillow compose of the same size and parts (the same font, no layout, no QR code), and of a
cached hit (the kept PNG read from POSTER_CACHE_DIR) against drawing. In process, no database,
generated images; prints ratios, never fails on timing.

    .venv/bin/python bench/posters.py [rounds]
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PIL import Image, ImageDraw, ImageFont

import settings
from services.distribution.posters import layout as lay
from services.distribution.posters import render, service


def _png(colour: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def _p50(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(rounds: int) -> None:
    font_path = settings.POSTER_FONT_PATH
    if not os.path.isfile(font_path):
        sys.exit(f"the poster font {font_path} is not installed (apt-get install fonts-wqy-microhei)")
    layout = lay.parse(lay.DEFAULT)
    images = {"image": _png("#3A7D44", (800, 800)), "avatar": _png("#2255AA", (200, 200))}
    content = lay.Content(
        "云南高山有机普洱茶礼盒装 送礼佳品 357克",
        "¥199.00",
        "小明分享",
        "https://m.example.com/r/ABCD1234?product=UHJvZHVjdDoxMjM=",
    )

    def draw() -> bytes:
        return render.render(lay.plan(layout, content, render.measurer(font_path)), images, font_path)

    def bare() -> bytes:
        canvas = Image.new("RGB", (layout.width, layout.height), "#FFFFFF")
        with Image.open(io.BytesIO(images["image"])) as picture:
            canvas.paste(picture.convert("RGB").resize((750, 750)), (0, 0))
        with Image.open(io.BytesIO(images["avatar"])) as avatar:
            canvas.paste(avatar.convert("RGB").resize((110, 110)), (40, 990))
        pen = ImageDraw.Draw(canvas)
        for text, y, size in ((content.title, 780, 34), (content.price, 890, 44), (content.nickname, 1005, 28)):
            pen.text((40, y), text, fill="#222222", font=ImageFont.truetype(font_path, size))
        out = io.BytesIO()
        canvas.save(out, format="PNG")
        return out.getvalue()

    with tempfile.TemporaryDirectory() as kept:
        settings.POSTER_CACHE_DIR = kept
        key = "ab" + "0" * 62
        service._keep(key, draw())

        def hit() -> bytes:
            return service.cached(key)

        draw(), bare(), hit()  # warm: fonts loaded, files in the page cache
        t_draw, t_bare, t_hit = _p50(draw, rounds), _p50(bare, rounds), _p50(hit, rounds)
    print(f"poster {layout.width}x{layout.height}, {rounds} rounds, p50:")
    print(f"  draw (plan + paint + PNG)   {t_draw * 1000:8.2f} ms")
    print(f"  bare Pillow compose + PNG   {t_bare * 1000:8.2f} ms   draw / bare = {t_draw / t_bare:.2f}")
    print(f"  cached hit (read the PNG)   {t_hit * 1000:8.3f} ms   draw / hit  = {t_draw / t_hit:.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
