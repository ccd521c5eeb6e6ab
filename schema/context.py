"""Per-request context: who is asking (from the bearer token), their grants, loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import HTTPConnection

import proxies
from loaders import Loaders
from models.accounts import User
from services.accounts import access, auth
from services.core.errors import DomainError


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

    async def authenticate(self, authorization: str | None) -> None:
        """Accepts 'Bearer <token>'; an absent header means anonymous."""
        self.viewer, self.session_id, self.auth_error, self._grants = None, None, None, None
        self.token_expires_at = None
        if not authorization:
            return
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            token = authorization  # also accept the bare token (WebSocket connection params)
        try:
            self.viewer, session = await auth.authenticate(token.strip())
            self.session_id = session.id
            self.token_expires_at = getattr(session, "token_expires_at", None)
        except DomainError as exc:
            self.auth_error = exc

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
