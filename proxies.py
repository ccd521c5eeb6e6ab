"""Who the client is, behind the reverse proxies we trust (FORWARDED_ALLOW_IPS).

`X-Forwarded-For` is believed only when the connection comes from a trusted proxy, and then
only up to the first address that is not one (a client can write anything in the header;
each proxy appends the address it saw). The app applies uvicorn's own ProxyHeadersMiddleware
with the setting, so every reader of the connection's client address (Starlette, Strawberry,
`client_ip`) sees the same answer whatever server runs the app; the Procfile passes the same
list to uvicorn (`--forwarded-allow-ips`), whose access log then agrees. Applying the rule
twice changes nothing: after the first pass the client is an address that is not trusted.

Services never see a connection: resolvers and routes pass `client_ip(...)` as a string.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import settings


def trusted_proxies() -> Middleware:
    """The app's outermost middleware: client address and scheme from trusted proxies' headers."""
    return Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.FORWARDED_ALLOW_IPS)


def client_ip(connection: HTTPConnection) -> str:
    """The client's IP address ("" when the server does not know it): the SMS per-IP limit,
    tracking-link clicks and the risk rules read it here and nowhere else."""
    return connection.client.host if connection.client else ""
