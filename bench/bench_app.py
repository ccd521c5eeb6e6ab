"""ASGI entry for bench/graphql_vs_bare.py: the real app plus two bare Starlette routes.

Served by uvicorn in a subprocess: `uvicorn bench.bench_app:app --app-dir <project root>`.
The environment (DATABASE_URL, SECRET_KEY, ...) is set by the benchmark script before
this module is imported, so `create_app(manage_database=True)` runs the normal lifespan
(Tortoise.init with settings.TORTOISE_ORM, sync_catalog, broadcast) against the
benchmark's database.

The bare routes do the same database work as the GraphQL fields they are compared with,
minus GraphQL:

* /bare/users: bearer token -> services.accounts.auth.authenticate (1 query), the same
  `user.read` permission check as `requires("user.read")` (access.load_grants), then the
  same keyset page as the `users` resolver (services.core.pagination.paginate: newest first,
  LIMIT first+1), returning id, nickname, avatarUrl, inviteCode, createdAt.
* /bare/me: bearer token -> services.accounts.auth.authenticate, returning id and nickname.

Both shape their JSON like the GraphQL response ({"data": ...}) so the byte counts match.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from starlette.requests import Request
from starlette.responses import JSONResponse

from app import create_app
from models.accounts import User as UserModel
from schema.node import encode
from services.accounts import (
    access,
    auth,
)
from services.core.errors import DomainError
from services.core.pagination import paginate


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        token = header
    return token.strip()


async def _viewer(request: Request):
    token = _token(request)
    if token is None:
        return None, JSONResponse({"errors": [{"code": "UNAUTHENTICATED"}]}, status_code=401)
    try:
        user, _session = await auth.authenticate(token)
    except DomainError as exc:
        return None, JSONResponse({"errors": [{"code": exc.code.value}]}, status_code=401)
    return user, None


async def bare_users(request: Request) -> JSONResponse:
    user, refusal = await _viewer(request)
    if refusal is not None:
        return refusal
    if not (await access.load_grants(user.id)).has("user.read"):
        return JSONResponse({"errors": [{"code": "FORBIDDEN"}]}, status_code=403)
    first = int(request.query_params.get("first", "100"))
    page = await paginate(UserModel.all(), first)
    nodes = [
        {
            "id": encode("User", u.id),
            "nickname": u.nickname,
            "avatarUrl": u.avatar_url,
            "inviteCode": u.invite_code,
            "createdAt": u.created_at.isoformat(),
        }
        for u in page.items
    ]
    return JSONResponse({"data": {"users": {"nodes": nodes}}})


async def bare_me(request: Request) -> JSONResponse:
    user, refusal = await _viewer(request)
    if refusal is not None:
        return refusal
    return JSONResponse({"data": {"me": {"id": encode("User", user.id), "nickname": user.nickname}}})


def build() -> object:
    debug = os.environ.get("DEBUG", "false").lower() in ("1", "true", "yes", "on")
    application = create_app(debug=debug, manage_database=True)
    application.router.add_route("/bare/users", bare_users, methods=["GET"])
    application.router.add_route("/bare/me", bare_me, methods=["GET"])
    return application


app = build()
