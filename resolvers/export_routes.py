"""CSV exports over HTTP for administrators (FIN-5), streamed (not GraphQL: a file download).

  GET /exports/journal.csv?from=YYYY-MM-DD&to=YYYY-MM-DD         the ledger journal (both optional)
  GET /exports/reports/{revenue|commissions|activity}.csv?period=DAY|WEEK|MONTH&from=…&to=…

Authentication as the GraphQL endpoint: `Authorization: Bearer <access token>`; the
`report.read` permission. Refusals are JSON with the same codes as the API:
401 UNAUTHENTICATED (or TOKEN_EXPIRED …), 403 FORBIDDEN, 400 INVALID_INPUT / INVALID_DATE_RANGE.
The body is a StreamingResponse over services.finance.csv_export's async generator, which reads the
database in keyset pages: never the whole result in memory.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from schema.context import Context
from services.core.errors import DomainError, ErrorCode
from services.finance import csv_export, reports

PERMISSION = "report.read"
REPORT_NAMES = {
    "revenue": reports.REVENUE,
    "commissions": reports.COMMISSIONS,
    "activity": reports.ACTIVITY,
    "discounts": reports.DISCOUNTS,
}


def _refuse(code: ErrorCode, message: str, status: int, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": code.value, "message": message, "field": field}, status_code=status)


async def _authorize(request: Request) -> Response | None:
    context = Context(request=request)
    await context.authenticate(request.headers.get("authorization"))
    if context.viewer is None:
        reason = context.auth_error
        return _refuse(
            reason.code if reason else ErrorCode.UNAUTHENTICATED, reason.message if reason else "Sign in first.", 401
        )
    if not (await context.grants()).has(PERMISSION):
        return _refuse(ErrorCode.FORBIDDEN, f"This needs the {PERMISSION} permission.", 403)
    return None


def _date(request: Request, name: str, required: bool) -> date | None:
    value = request.query_params.get(name)
    if not value:
        if required:
            raise DomainError(ErrorCode.INVALID_INPUT, f"`{name}` is required (YYYY-MM-DD).", name)
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(ErrorCode.INVALID_INPUT, f"`{name}` is not a date (YYYY-MM-DD).", name) from None


def _csv(body, filename: str) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def journal(request: Request) -> Response:
    refused = await _authorize(request)
    if refused is not None:
        return refused
    try:
        first, last = _date(request, "from", False), _date(request, "to", False)
        if first and last and first > last:
            raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The range ends before it starts.", "to")
    except DomainError as exc:
        return _refuse(exc.code, exc.message, 400, exc.field)
    return _csv(csv_export.journal_csv(first, last), "journal.csv")


async def report(request: Request) -> Response:
    refused = await _authorize(request)
    if refused is not None:
        return refused
    name = request.path_params["name"]
    if name not in REPORT_NAMES:
        return _refuse(ErrorCode.NOT_FOUND, "No such report.", 404, "name")
    try:
        period = (request.query_params.get("period") or "DAY").upper()
        body = await csv_export.report_csv(
            REPORT_NAMES[name], period, _date(request, "from", True), _date(request, "to", True)
        )
    except DomainError as exc:
        return _refuse(exc.code, exc.message, 400, exc.field)
    return _csv(body, f"{name}.csv")


routes = [
    Route("/exports/journal.csv", journal, methods=["GET"]),
    Route("/exports/reports/{name}.csv", report, methods=["GET"]),
]
