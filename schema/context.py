"""Per-request context: who is asking (from the bearer token), their grants, loaders."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import HTTPConnection

import proxies
from loaders import Loaders
from models.accounts import User
from services.accounts import access, auth, tokens
from services.core.errors import DomainError, ErrorCode

# Root fields that answer most requests before any database statement, so a request made of
# one of them alone verifies its token without reading the session (Context.authenticate's
# defer_session): a flash sale's losers cost no statement at all (MKT-3).
DEFERRED_SESSION_FIELDS = frozenset({"buyFlash"})


@functools.lru_cache(maxsize=256)
def defers_session(query: str) -> bool:
    """The document is one mutation of exactly one root field of DEFERRED_SESSION_FIELDS (so
    no other field reads the viewer before that field's resolver confirms the session)."""
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or len(document.definitions) != 1 or operations[0].operation != OperationType.MUTATION:
        return False
    selections = operations[0].selection_set.selections
    return (
        len(selections) == 1
        and isinstance(selections[0], FieldNode)
        and selections[0].name.value in DEFERRED_SESSION_FIELDS
        and not selections[0].directives
    )


async def request_defers_session(request: HTTPConnection) -> bool:
    """For a POSTed JSON GraphQL request: see defers_session (the body is read once; the view reads it again from Starlette's cache)."""
    if getattr(request, "method", "") != "POST":
        return False
    body = await request.body()  # type: ignore[attr-defined]
    if not any(name.encode() in body for name in DEFERRED_SESSION_FIELDS):
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    query = data.get("query") if isinstance(data, dict) else None
    return isinstance(query, str) and defers_session(query)


@dataclass
class Context:
    """Who is asking, read by the resolvers through properties that note the reading: an
    answer that never read them (`personal` still false) is the same for every viewer, so the
    response cache (schema/response_cache.py) may share it."""

    request: HTTPConnection | None = None
    response: Any = None
    connection_params: dict | None = None
    _viewer: User | None = None
    _session_id: uuid.UUID | None = None
    _auth_error: DomainError | None = None  # why a presented token was refused
    _token_expires_at: datetime | None = None  # of the access token signed in with (a WebSocket's ends then)
    _grants: access.Grants | None = None
    # a request whose one field admits before it reads the session (buyFlash): the verified
    # token's claims, and the token to confirm the session with (confirm_session)
    _claims: tokens.AccessClaims | None = None
    _deferred_token: str | None = None
    _loaders: Loaders | None = None
    personal: bool = False  # something read the viewer, the session, the token or the client

    @property
    def viewer(self) -> User | None:
        self.personal = True
        return self._viewer

    @viewer.setter
    def viewer(self, value: User | None) -> None:
        self._viewer = value

    @property
    def session_id(self) -> uuid.UUID | None:
        self.personal = True
        return self._session_id

    @session_id.setter
    def session_id(self, value: uuid.UUID | None) -> None:
        self._session_id = value

    @property
    def auth_error(self) -> DomainError | None:
        self.personal = True
        return self._auth_error

    @auth_error.setter
    def auth_error(self, value: DomainError | None) -> None:
        self._auth_error = value

    @property
    def token_expires_at(self) -> datetime | None:
        self.personal = True
        return self._token_expires_at

    @token_expires_at.setter
    def token_expires_at(self, value: datetime | None) -> None:
        self._token_expires_at = value

    @property
    def viewer_id(self) -> int | None:
        """For logs and metrics only: reading it does not make the answer personal."""
        return None if self._viewer is None else self._viewer.id

    @property
    def loaders(self) -> Loaders:
        """Built on first use: a WebSocket connection keeps its context for its whole life,
        and most subscriptions never load a relation (~12 KiB of DataLoaders each)."""
        if self._loaders is None:
            self._loaders = Loaders()
        return self._loaders

    @property
    def client(self) -> auth.ClientInfo:
        self.personal = True
        if self.request is None:
            return auth.ClientInfo()
        return auth.ClientInfo(
            ip=proxies.client_ip(self.request), user_agent=self.request.headers.get("user-agent", "")
        )

    @property
    def device_id(self) -> str:
        """The client's device id (`X-Device-Id` header; risk control records it per order)."""
        self.personal = True
        if self.request is None:
            return ""
        return self.request.headers.get("x-device-id", "").strip()[:128]

    async def authenticate(self, authorization: str | None, *, defer_session: bool = False) -> None:
        """Accepts 'Bearer <token>'; an absent header means anonymous. `defer_session`: only
        verify the token (signature, expiry: no database statement); the resolver reads the
        session with `confirm_session` when it needs more than the token's user id."""
        self.viewer, self.session_id, self.auth_error, self._grants = None, None, None, None
        self.token_expires_at, self._claims, self._deferred_token = None, None, None
        if not authorization:
            return
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            token = authorization  # also accept the bare token (WebSocket connection params)
        if defer_session:
            try:
                self._claims = tokens.decode_access_token(token.strip())
                self._deferred_token = token.strip()
            except DomainError as exc:
                self.auth_error = exc
            return
        try:
            self.viewer, session = await auth.authenticate(token.strip())
            self.session_id = session.id
            self.token_expires_at = getattr(session, "token_expires_at", None)
        except DomainError as exc:
            self.auth_error = exc

    @property
    def claimed_user_id(self) -> int | None:
        """The signed-in user's id: of the session, or of the verified token while its session
        is not read yet (defer_session)."""
        self.personal = True
        if self._viewer is not None:
            return self._viewer.id
        return self._claims.user_id if self._claims is not None else None

    async def confirm_session(self) -> None:
        """Read the session a deferred request's token names (as `authenticate` does); raise
        the reason it is refused (TOKEN_REVOKED, ACCOUNT_DISABLED, ...)."""
        if self._deferred_token is not None:
            token, self._deferred_token = self._deferred_token, None
            await self.authenticate(token)
        if self._viewer is None:
            raise self._auth_error or DomainError(ErrorCode.UNAUTHENTICATED, "Sign in first.")

    def sign_in_as(self, user: User, session_id: uuid.UUID) -> None:
        self.viewer, self.session_id, self.auth_error, self._grants = user, session_id, None, None

    async def grants(self) -> access.Grants:
        self.personal = True
        if self._grants is None:
            viewer = self._viewer
            self._grants = await access.load_grants(viewer.id) if viewer else access.Grants()
        return self._grants

    # Strawberry's WebSocket handlers set connection params by item or attribute.
    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)
