"""The vendored GraphiQL files (vendor/, listed with their sha384 in vendor/manifest.json),
served at /graphiql-assets/<package>@<version>/<file>."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"
URL_PREFIX = "/graphiql-assets/"
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}
# The path names the package version, so a file never changes under its URL.
CACHE_CONTROL = "public, max-age=31536000, immutable"


def sha384(path: Path) -> str:
    """The Subresource Integrity value of a file."""
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


@functools.cache
def load_manifest() -> dict[str, str]:
    """Vendored path -> integrity, as refresh.py wrote them."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]


async def serve(request: Request) -> Response:
    path = request.path_params["path"]
    if path not in load_manifest():  # only the listed files: nothing else under vendor/ is reachable
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(
        VENDOR_DIR / path,
        media_type=CONTENT_TYPES[Path(path).suffix],
        headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )


route = Route(URL_PREFIX + "{path:path}", serve, methods=["GET", "HEAD"])
