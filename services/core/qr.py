"""QR code images of links (segno: pure Python, PNG and SVG): the distributor's invite link
(DIS-5) and a store's payment link (STO-1)."""

from __future__ import annotations

import io

import segno


def png(url: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def svg(url: str, scale: int = 8) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=False)
    return out.getvalue().decode()
