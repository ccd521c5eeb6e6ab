"""Response cache for public queries: a storefront query asked again is answered with the bytes
of the first answer, before anything parses, validates or executes it (app.GraphQLApp.run).

What may be cached: a POST of one JSON query (no batch, no streaming, no `extensions`) whose
operation is a query selecting only PUBLIC_ROOT_FIELDS (with `__typename`, fragments and
`@include` / `@skip`); an answer without errors; and, for a request with an Authorization
header, only an answer that never read who is asking (schema.context.Context.personal: the
viewer, grants, session, token, client address). Requests without an Authorization header
are all the same anonymous viewer, so their answers are shared even where a resolver looked
(`product` asks for the grants, empty for them); a signed-in viewer's answer that looked is
never stored.

The key: a digest of the schema's SDL (a new deployment never reads the old one's answers),
the printed document and operation name, the variables as canonical JSON, and the kind of
viewer (anonymous or signed in). Each entry carries the generation of public data it was
computed under; `invalidate()` (after the commit of a unit of work that called
`events.public_data_changed()`) moves the generation on, and an entry of an older generation
is never served. The generation is read before the execution, so an answer computed while a
change commits is stored under the old one and never served.

Stores: on Redis (REDIS_URL) one counter and entries with a TTL, shared by every process: a
lookup is one MGET of the counter and the entry, a change one INCR, so it is seen at once by
every process (web and worker). Without Redis: a bounded LRU in the process and a counter in
the process (the worker's changes then show after the TTL). Redis unreachable: no caching
(answered as usual), and a change not counted is counted again until Redis answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    Visitor,
    get_operation_ast,
    parse,
    print_ast,
    visit,
)
from redis import asyncio as aioredis
from redis.exceptions import RedisError
from starlette.requests import Request

import metrics
import settings
from services.core import events

log = logging.getLogger(__name__)

# Root fields whose answers are the same for everyone (at one generation of public data) and
# whose data changes call events.public_data_changed(): the catalog, home content, merchants'
# public pages and stores. `me`, my*, cart, orders … are never here.
PUBLIC_ROOT_FIELDS = frozenset(
    {
        "searchProducts",
        "product",
        "categories",
        "banners",
        "recommendedProducts",
        "recommendedMerchants",
        "merchant",
        "nearestStores",
    }
)
ALLOWED_DIRECTIVES = frozenset({"include", "skip"})  # @defer / @stream answer in parts: never cached
HEADER = "x-response-cache"  # hit | miss (answered and stored) | pass (cacheable query, answer not stored)
MAX_ENTRY_BYTES = 512 * 1024
MEMORY_MAX_BYTES = 64 * 1024 * 1024
DOCUMENTS_REMEMBERED = 1024  # query strings and their verdicts, per process
REDIS_TIMEOUT = 0.25  # seconds: a slow Redis costs a request this much at most, then no caching
REDIS_PAUSE = 1.0  # seconds without trying Redis after it failed
RETRY_INTERVAL = 0.05  # seconds between attempts to count a change Redis missed
GENERATION_KEY = "response-cache:generation"
ENTRY_PREFIX = "response-cache:entry:"


# --------------------------------------------------------------------------- documents


class _Directives(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        self.names.add(node.name.value)


def _public_roots(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> bool:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if name != "__typename" and name not in PUBLIC_ROOT_FIELDS:
                return False
        elif isinstance(selection, InlineFragmentNode):
            if not _public_roots(selection.selection_set, fragments, seen):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None:
                return False  # invalid: let validation say so
            if name not in seen:
                seen.add(name)
                if not _public_roots(fragment.selection_set, fragments, seen):
                    return False
    return True


def document_digest(query: str, operation_name: str | None) -> bytes | None:
    """The digest of a cacheable document (printed: spacing and comments do not matter), or
    None when it must not be cached: unparsable, not a query, a root field outside
    PUBLIC_ROOT_FIELDS, a directive other than @include / @skip."""
    try:
        document = parse(query, no_location=True, max_tokens=settings.MAX_TOKENS)
    except GraphQLError:
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if not _public_roots(operation.selection_set, fragments, set()):
        return None
    directives = _Directives()
    visit(document, directives)
    if directives.names - ALLOWED_DIRECTIVES:
        return None
    printed = print_ast(document) + "\n#" + (operation_name or "")
    return hashlib.blake2b(printed.encode(), digest_size=16).digest()


def canonical_variables(variables: dict | None) -> bytes:
    return json.dumps(variables or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --------------------------------------------------------------------------- generations and stores

_local_generation = 0  # this process's count of public data changes (the memory store's)
_shared: RedisStore | None = None  # where invalidate() counts them for every process


async def invalidate() -> None:
    """Public data changed and committed: no answer cached before is served again."""
    global _local_generation
    _local_generation += 1
    if _shared is not None:
        await _shared.bump()


def install(redis_url: str = settings.REDIS_URL, prefix: str = settings.BROADCAST_CHANNEL_PREFIX) -> None:
    """Count this process's public data changes (every web process and the worker, whether or
    not it caches itself): in the process, and on Redis when there is one."""
    global _shared
    if redis_url and (_shared is None or _shared.url != redis_url or _shared.prefix != prefix):
        _shared = RedisStore(redis_url, prefix)
    elif not redis_url:
        _shared = None
    events.set_change_listener(invalidate)


def shared_store() -> RedisStore | None:
    return _shared


@dataclass
class _Entry:
    generation: int
    expires: float  # time.monotonic()
    body: bytes


class MemoryStore:
    """A bounded LRU of this process, by total size; the generation is the process's counter."""

    def __init__(self, max_bytes: int = MEMORY_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> tuple[int, bytes | None]:
        current = _local_generation
        entry = self._entries.get(key)
        if entry is None:
            return current, None
        if entry.generation != current or entry.expires <= time.monotonic():
            self._drop(key)
            return current, None
        self._entries.move_to_end(key)
        return current, entry.body

    async def put(self, key: str, generation: int, body: bytes, ttl: int) -> None:
        if key in self._entries:
            self._drop(key)
        self._entries[key] = _Entry(generation, time.monotonic() + ttl, body)
        self.size += len(body)
        while self.size > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        self.size -= len(self._entries.pop(key).body)

    async def close(self) -> None:
        self._entries.clear()
        self.size = 0


class RedisStore:
    """Entries `<generation> <body>` with a TTL, and the generation counter, on Redis."""

    def __init__(self, url: str, prefix: str = "") -> None:
        self.url, self.prefix = url, prefix
        self.generation_key = prefix + GENERATION_KEY
        self.entry_prefix = prefix + ENTRY_PREFIX
        self._client: aioredis.Redis | None = None
        self._paused_until = 0.0
        self._owed = 0  # changes not yet counted on Redis (it failed)
        self._retrying: asyncio.Task[None] | None = None

    @property
    def client(self) -> aioredis.Redis:
        # Made on first use, inside the serving event loop; short timeouts and no retries (not
        # subscriptions.redis_backend.redis_client's): a request never waits long for the cache.
        if self._client is None:
            self._client = aioredis.Redis.from_url(
                self.url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
            )
        return self._client

    def _failed(self, what: str, exc: BaseException) -> None:
        if time.monotonic() >= self._paused_until:
            log.warning("response cache: Redis %s failed (%s); not caching for %.0f s", what, exc, REDIS_PAUSE)
        self._paused_until = time.monotonic() + REDIS_PAUSE

    async def get(self, key: str) -> tuple[int, bytes | None] | None:
        """(current generation, the entry's body if it is of that generation); None: no Redis."""
        if self._owed or time.monotonic() < self._paused_until:
            return None  # a change not yet counted: entries of the current generation may be stale
        try:
            generation, entry = await self.client.mget(self.generation_key, self.entry_prefix + key)
        except (RedisError, OSError) as exc:
            self._failed("read", exc)
            return None
        current = int(generation or 0)
        if entry is not None:
            stored, _, body = entry.partition(b" ")
            if int(stored) == current:
                return current, body
        return current, None

    async def put(self, key: str, generation: int, body: bytes, ttl: int) -> None:
        try:
            await self.client.set(self.entry_prefix + key, b"%d %s" % (generation, body), ex=ttl)
        except (RedisError, OSError) as exc:
            self._failed("write", exc)

    async def bump(self) -> None:
        try:
            await self.client.incr(self.generation_key)
        except (RedisError, OSError) as exc:
            self._failed("count of a change", exc)
            self._owed += 1
            if self._retrying is None or self._retrying.done():
                self._retrying = asyncio.create_task(self._pay_back(), name="response-cache-invalidate")

    async def _pay_back(self) -> None:
        """Count the missed changes once Redis answers: until then nobody reads entries (Redis is
        away, and this process does not look while it owes), afterwards none is stale."""
        while self._owed:
            await asyncio.sleep(RETRY_INTERVAL)
            owed = self._owed
            try:
                await self.client.incrby(self.generation_key, owed)
            except (RedisError, OSError):
                continue
            self._owed -= owed
        log.info("response cache: Redis counts changes again")

    async def close(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        if self._client is not None:
            await self._client.aclose()
            self._client = None


Store = MemoryStore | RedisStore


# --------------------------------------------------------------------------- the cache


@dataclass
class Probe:
    """A cacheable request: its key, the generation read, and the stored answer if any."""

    key: str
    generation: int
    anonymous: bool
    body: bytes | None


class ResponseCache:
    def __init__(self, store: Store, ttl: int, schema_sdl: str) -> None:
        self.store = store
        self.ttl = max(1, int(ttl))
        self._schema = hashlib.blake2b(schema_sdl.encode(), digest_size=16).digest()
        # by a digest of the query string, not the string: a client's long queries hold no memory
        self._documents: OrderedDict[bytes, bytes | None] = OrderedDict()

    def _digest(self, query: str, operation_name: str | None) -> bytes | None:
        memo = hashlib.blake2b(f"{operation_name!r}\0{query}".encode(), digest_size=16).digest()
        try:
            digest = self._documents[memo]
        except KeyError:
            digest = self._documents[memo] = document_digest(query, operation_name)
            if len(self._documents) > DOCUMENTS_REMEMBERED:
                self._documents.popitem(last=False)
        return digest

    async def probe(self, request: Request) -> Probe | None:
        """The request's entry (found or not), or None when it must not be cached."""
        if request.method != "POST":
            return None
        headers = request.headers
        accept = headers.get("accept", "")
        if (
            "application/json" not in headers.get("content-type", "")
            or "multipart" in accept
            or "event-stream" in accept
        ):
            return None
        try:
            data = json.loads(await request.body())
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None  # a batch
        query, variables, operation_name = data.get("query"), data.get("variables"), data.get("operationName")
        if (
            not isinstance(query, str)
            or not isinstance(variables, dict | None)
            or not isinstance(operation_name, str | None)
            or data.get("extensions")
        ):
            return None
        digest = self._digest(query, operation_name)
        if digest is None:
            return None
        anonymous = "authorization" not in headers
        key = hashlib.blake2b(
            self._schema + digest + (b"A" if anonymous else b"S") + canonical_variables(variables), digest_size=20
        ).hexdigest()
        found = await self.store.get(key)
        if found is None:
            return None
        generation, body = found
        if body is not None:
            metrics.RESPONSE_CACHE.labels("hit").inc()
        return Probe(key, generation, anonymous, body)

    async def answered(self, probe: Probe, body: bytes, *, errors: bool, personal: bool) -> str:
        """Store an answer to a probed request if it may be shared; "miss" when stored, "pass" when
        not (errors, or a signed-in viewer's answer that read who is asking, or too large)."""
        if errors or (personal and not probe.anonymous) or len(body) > MAX_ENTRY_BYTES:
            outcome = "pass"
        else:
            await self.store.put(probe.key, probe.generation, body, self.ttl)
            outcome = "miss"
        metrics.RESPONSE_CACHE.labels(outcome).inc()
        return outcome

    async def close(self) -> None:
        await self.store.close()
