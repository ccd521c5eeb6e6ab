"""Assembles Query, Mutation and Subscription from the domain modules, with the
security and performance extensions."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from tortoise.models import Model

import settings
from resolvers.accounts import AccountMutations, AccountQueries
from resolvers.admin import AdminMutations, AdminQueries
from resolvers.after_sales import AfterSaleMutations, AfterSaleQueries
from resolvers.cart import CartMutations, CartQueries
from resolvers.catalog import CatalogMutations, CatalogQueries
from resolvers.consignment import ConsignmentMutations, ConsignmentQueries
from resolvers.content import ContentMutations, ContentQueries
from resolvers.grades import GradeQueries
from resolvers.merchants import MerchantMutations, MerchantQueries
from resolvers.notifications import NotificationMutations, NotificationQueries
from resolvers.orders import OrderMutations, OrderQueries
from resolvers.stores import StoreMutations, StoreQueries
from resolvers.wallet import WalletQueries
from schema.types.merchants import SCALAR_MAP as MERCHANT_SCALARS
from subscriptions.consignment import ConsignmentSubscriptions
from subscriptions.notifications import NotificationSubscriptions
from subscriptions.orders import OrderSubscriptions

Query = merge_types("Query", (AccountQueries, NotificationQueries, AdminQueries, ContentQueries, MerchantQueries, StoreQueries, CatalogQueries, OrderQueries, CartQueries, AfterSaleQueries, ConsignmentQueries, WalletQueries, GradeQueries))
Mutation = merge_types("Mutation", (AccountMutations, NotificationMutations, AdminMutations, ContentMutations, MerchantMutations, StoreMutations, CatalogMutations, OrderMutations, CartMutations, AfterSaleMutations, ConsignmentMutations))
Subscription = merge_types("Subscription", (NotificationSubscriptions, OrderSubscriptions, ConsignmentSubscriptions))


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions only; our coded errors and validation errors pass."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


def extensions(debug: bool) -> list:
    # Factories: Strawberry builds fresh extension instances per request. The parser and
    # validation caches live at module level, so they are shared all the same; the limit
    # rules are built once here, because the validation cache is keyed by the rule classes
    # (per-request limiter instances would make every request a cache miss).
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.MAX_QUERY_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.MAX_ALIASES).validation_rules,
    ]
    exts = [
        partial(ParserCache, maxsize=256),
        partial(ValidationCache, maxsize=256),
        partial(AddValidationRules, limit_rules),
        partial(MaxTokensLimiter, max_token_count=settings.MAX_TOKENS),
    ]
    if not debug:
        exts += [partial(MaskErrors, should_mask_error=should_mask), DisableIntrospection]
    return exts


def _is_awaitable(value: object) -> bool:
    # Tortoise rows define __await__ (awaiting one returns it). Types resolved straight from
    # rows would otherwise make graphql-core complete every list item as a pending result,
    # one asyncio task per row.
    return optimized_is_awaitable(value) and not isinstance(value, Model)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _is_awaitable


def build_schema(debug: bool = settings.DEBUG) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(debug),
        execution_context_class=ExecutionContext,
        config=StrawberryConfig(scalar_map={**MERCHANT_SCALARS}),
    )


schema = build_schema()
