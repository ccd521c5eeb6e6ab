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
    request: HTTPConnection | None = None
    response: Any = None
    connection_params: dict | None = None
    viewer: User | None = None
    session_id: uuid.UUID | None = None
    auth_error: DomainError | None = None  # why a presented token was refused
    token_expires_at: datetime | None = None  # of the access token signed in with (a WebSocket's ends then)
    _grants: access.Grants | None = None
    _loaders: Loaders | None = None

    @property
    def loaders(self) -> Loaders:
        """Built on first use: a WebSocket connection keeps its context for its whole life,
        and most subscriptions never load a relation (~12 KiB of DataLoaders each)."""
        if self._loaders is None:
            self._loaders = Loaders()
        return self._loaders

    @property
    def client(self) -> auth.ClientInfo:
        if self.request is None:
            return auth.ClientInfo()
        return auth.ClientInfo(
            ip=proxies.client_ip(self.request), user_agent=self.request.headers.get("user-agent", "")
        )

    @property
    def device_id(self) -> str:
        """The client's device id (`X-Device-Id` header; risk control records it per order)."""
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
        if self._grants is None:
            self._grants = await access.load_grants(self.viewer.id) if self.viewer else access.Grants()
        return self._grants

    # Strawberry's WebSocket handlers set connection params by item or attribute.
    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)
