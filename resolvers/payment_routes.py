"""HTTP endpoints a payment gateway talks to (not GraphQL): its asynchronous payment
notifications, and for the sandbox gateway the page where the buyer "pays"."""

from __future__ import annotations

import html
import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from models.orders import SandboxTrade
from services.core.errors import DomainError
from services.core.money import fen_to_decimal_string
from services.orders import payments
from services.orders.gateways import gateway
from services.orders.sandbox_gateway import SandboxGateway

log = logging.getLogger(__name__)


async def notify(request: Request) -> Response:
    """Answer 200 only once the notification is recorded; anything else makes the
    gateway deliver it again later (which is idempotent)."""
    body = await request.body()
    try:
        outcome = await payments.handle_notification(dict(request.headers), body)
    except DomainError as exc:
        log.warning("refused gateway notification: %s", exc.code.value)
        return JSONResponse({"code": "FAIL", "error": exc.code.value, "message": exc.message}, status_code=400)
    return JSONResponse({"code": "SUCCESS", "outcome": outcome})


_PAGE = """<!doctype html><meta charset="utf-8"><title>Sandbox payment</title>
<body style="font-family:sans-serif;max-width:28em;margin:3em auto">
<h1>Sandbox gateway</h1><p>Trade <code>{trade}</code>: <b>{amount} {currency}</b> — {status}</p>
{form}</body>"""


async def sandbox_page(request: Request) -> Response:
    gw = gateway.get()
    if not isinstance(gw, SandboxGateway):
        return Response(status_code=404)
    trade_no = request.path_params["trade_no"]
    trade = await SandboxTrade.get_or_none(trade_no=trade_no)
    if trade is None:
        return Response("No such trade.", status_code=404)
    if request.method == "POST" and trade.status == "NOTPAY":
        notice = await gw.simulate_payment(trade_no)
        try:
            await payments.handle_notification(notice.headers, notice.body)
        except DomainError as exc:
            log.warning("sandbox callback refused: %s", exc.code.value)
        trade = await SandboxTrade.get(id=trade.id)
    form = '<form method="post"><button>Pay</button></form>' if trade.status == "NOTPAY" else ""
    return HTMLResponse(
        _PAGE.format(
            trade=html.escape(trade.trade_no),
            amount=fen_to_decimal_string(trade.amount),
            currency=html.escape(trade.currency),
            status=html.escape(trade.status),
            form=form,
        )
    )


routes = [Route("/payments/notify", notify, methods=["POST"])]
# Only with the sandbox gateway configured (settings.sandbox_payments): app.py adds them.
sandbox_routes = [Route("/sandbox/pay/{trade_no}", sandbox_page, methods=["GET", "POST"])]
