"""Assembles Query, Mutation and Subscription from the domain modules, with the
security and performance extensions."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

import settings
from resolvers.accounts import AccountMutations, AccountQueries
from resolvers.admin import AdminMutations, AdminQueries
from resolvers.notifications import NotificationMutations, NotificationQueries
from subscriptions.notifications import NotificationSubscriptions

Query = merge_types("Query", (AccountQueries, NotificationQueries, AdminQueries))
Mutation = merge_types("Mutation", (AccountMutations, NotificationMutations, AdminMutations))
Subscription = merge_types("Subscription", (NotificationSubscriptions,))


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions only; our coded errors and validation errors pass."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


def extensions(debug: bool) -> list:
    # Factories: Strawberry builds fresh extension instances per request; the parser and
    # validation caches live at module level, so they are shared all the same.
    exts = [
        partial(ParserCache, maxsize=256),
        partial(ValidationCache, maxsize=256),
        partial(QueryDepthLimiter, max_depth=settings.MAX_QUERY_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=settings.MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=settings.MAX_TOKENS),
    ]
    if not debug:
        exts += [partial(MaskErrors, should_mask_error=should_mask), DisableIntrospection]
    return exts


def build_schema(debug: bool = settings.DEBUG) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions(debug)
    )


schema = build_schema()
