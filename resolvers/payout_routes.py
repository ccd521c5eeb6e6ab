"""HTTP endpoint payout channels call back (not GraphQL): the asynchronous result of a
transfer, at /payouts/notify/{channel} (channel code lower-cased, e.g. sandbox)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.core.errors import DomainError
from services.finance import withdrawals

log = logging.getLogger(__name__)


async def notify(request: Request) -> Response:
    """200 once the result is recorded (or was already); anything else makes the channel
    deliver it again later (which is idempotent)."""
    body = await request.body()
    try:
        outcome = await withdrawals.handle_callback(request.path_params["channel"], dict(request.headers), body)
    except DomainError as exc:
        log.warning("refused payout callback: %s", exc.code.value)
        return JSONResponse({"code": "FAIL", "error": exc.code.value, "message": exc.message}, status_code=400)
    return JSONResponse({"code": "SUCCESS", "outcome": outcome})


async def notify_without_sandbox(request: Request) -> Response:
    """The callback route where the sandbox channel is not configured: it has no callbacks."""
    if request.path_params["channel"].lower() == "sandbox":
        return Response(status_code=404)
    return await notify(request)


def routes(sandbox: bool) -> list[Route]:
    """`sandbox`: the sandbox payout channel is configured (settings.sandbox_payouts)."""
    return [Route("/payouts/notify/{channel}", notify if sandbox else notify_without_sandbox, methods=["POST"])]
