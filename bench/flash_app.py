"""ASGI entry for bench/flash_sale.py: the real app plus a bare Starlette route that runs the
same flash admission (one Redis script, services.marketing.flash) without GraphQL.

* POST /bare/flash {"flashItemId": <pk>}: bearer token verified (services.accounts.tokens: no
  statement, as buyFlash verifies it before admission), then the TAKE script with the same keys
  and arguments as buyFlash's admission; answers {"data": {"code": ...}}. A unit it took is
  given back at once (the bench measures refusals and must not sell through this route).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from starlette.requests import Request
from starlette.responses import JSONResponse

from app import create_app
from services.accounts import tokens
from services.core import clock
from services.core.errors import DomainError
from services.marketing import flash
from services.marketing import flash_rules as rules


async def bare_flash(request: Request) -> JSONResponse:
    try:
        user_id = tokens.decode_access_token(request.headers.get("authorization", "").removeprefix("Bearer ")).user_id
    except DomainError as exc:
        return JSONResponse({"errors": [{"message": exc.message, "extensions": {"code": exc.code.value}}]}, 401)
    item_id = int((await request.json())["flashItemId"])
    gate = flash.gate()
    answer = await gate.run("take", item_id, [rules.to_ms(clock.now()), user_id, 1])
    if answer >= 0:
        await gate.run("give", item_id, [user_id, 1])
        return JSONResponse({"data": {"code": "ADMITTED"}})
    code = rules.REFUSALS.get(rules.SCRIPT_CODES[answer], (None, ""))[0]
    return JSONResponse({"data": {"code": code.value if code else "NOT_LOADED"}})


def build() -> object:
    application = create_app(debug=False, manage_database=True)
    application.router.add_route("/bare/flash", bare_flash, methods=["POST"])
    return application


app = build()
