"""HTTP routes of the distributor centre (DIS-5), outside GraphQL: the tracking link that
counts a visit and sends it on to sign-up, and the invite link's QR code images; and a
store's payment QR code images (STO-1)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

import proxies
from services.core.errors import DomainError
from services.distribution import centre
from services.stores import payment_requests
from services.stores import payments as store_payments

QR_CACHE = "public, max-age=86400"  # the image of a code never changes while the base URL does not


async def track(request: Request) -> Response:
    """GET /r/{code}: record the click (hashed IP + user agent; the material when the code
    carries one, `CODE-M{id}`) and 302 to the storefront's sign-up with the code, or to the
    product / flash page `?product=` / `?flash=` names (a poster's link); an unknown code is
    404 and records nothing."""
    target = await centre.record_click(
        request.path_params["code"],
        proxies.client_ip(request),
        request.headers.get("user-agent", ""),
        dict(request.query_params),
    )
    if target is None:
        return PlainTextResponse("No such invite code.", status_code=404)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


async def qr(request: Request) -> Response:
    """GET /qr/invite/{code}.png or .svg: the QR code of the code's tracking link (a code
    carrying a material: of the link carrying it)."""
    ext = request.path_params["ext"]
    found = await centre.shared(request.path_params["code"]) if ext in ("png", "svg") else None
    if found is None:
        return PlainTextResponse("No such invite code.", status_code=404)
    code = found[1]  # a code carrying a material (MKT-5) keeps it in the link of its QR code
    if ext == "png":
        return Response(centre.qr_png(code), media_type="image/png", headers={"Cache-Control": QR_CACHE})
    return Response(centre.qr_svg(code), media_type="image/svg+xml", headers={"Cache-Control": QR_CACHE})


async def store_qr(request: Request) -> Response:
    """GET /qr/store/{code}.png or .svg: the QR code of a store's payment link (STO-1), or of a
    cashier's payment request (its code starts with R); a code that does not verify is 404."""
    ext, code = request.path_params["ext"], request.path_params["code"]
    link = payment_requests if code.startswith("R") else store_payments
    try:
        payment_requests.verified_request_id(code) if link is payment_requests else store_payments.verified_store_id(
            code
        )
    except DomainError:
        ext = ""
    if ext == "png":
        return Response(link.qr_png(code), media_type="image/png", headers={"Cache-Control": QR_CACHE})
    if ext == "svg":
        return Response(link.qr_svg(code), media_type="image/svg+xml", headers={"Cache-Control": QR_CACHE})
    return PlainTextResponse("No such payment code.", status_code=404)


routes = [
    Route("/r/{code}", track, methods=["GET"]),
    Route("/qr/invite/{code}.{ext:str}", qr, methods=["GET"]),
    Route("/qr/store/{code}.{ext:str}", store_qr, methods=["GET"]),
]
