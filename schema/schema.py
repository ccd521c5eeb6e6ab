"""Assembles Query, Mutation and Subscription from the domain modules, with the
security and performance extensions."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
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
from strawberry.tools import merge_types

import settings
from resolvers.accounts import AccountMutations, AccountQueries
from resolvers.admin import AdminMutations, AdminQueries
from resolvers.after_sales import AfterSaleMutations, AfterSaleQueries
from resolvers.agents import AgentMutations, AgentQueries
from resolvers.cart import CartMutations, CartQueries
from resolvers.catalog import CatalogMutations, CatalogQueries
from resolvers.common import describe_errors
from resolvers.consignment import ConsignmentMutations, ConsignmentQueries
from resolvers.consignment_stats import ConsignmentStatsQueries
from resolvers.content import ContentMutations, ContentQueries
from resolvers.distribution import DistributionMutations, DistributionQueries
from resolvers.distributor_centre import DistributorCentreMutations, DistributorCentreQueries
from resolvers.franchise import FranchiseMutations, FranchiseQueries
from resolvers.grades import GradeMutations, GradeQueries
from resolvers.identity import IdentityMutations, IdentityQueries
from resolvers.membership import MembershipMutations, MembershipQueries
from resolvers.merchants import MerchantMutations, MerchantQueries
from resolvers.notifications import NotificationMutations, NotificationQueries
from resolvers.orders import OrderMutations, OrderQueries
from resolvers.reviews import ReviewQueries
from resolvers.risk import RiskMutations, RiskQueries
from resolvers.settlement import SettlementMutations, SettlementQueries
from resolvers.stores import StoreMutations, StoreQueries
from resolvers.wallet import WalletQueries
from resolvers.withdrawals import WithdrawalMutations, WithdrawalQueries
from schema import fast_paths
from schema.telemetry import OperationTelemetry, TelemetrySchema, is_unexpected, tracing
from schema.types.merchants import SCALAR_MAP as MERCHANT_SCALARS
from subscriptions.consignment import ConsignmentSubscriptions, fast_my_queue_positions
from subscriptions.consignment_stats import ConsignmentStatsSubscriptions
from subscriptions.distribution import DistributionSubscriptions
from subscriptions.notifications import NotificationSubscriptions
from subscriptions.orders import OrderSubscriptions
from subscriptions.reviews import ReviewSubscriptions
from subscriptions.withdrawals import WithdrawalSubscriptions

Query = merge_types(
    "Query",
    (
        AccountQueries,
        NotificationQueries,
        AdminQueries,
        ContentQueries,
        MerchantQueries,
        StoreQueries,
        CatalogQueries,
        OrderQueries,
        CartQueries,
        AfterSaleQueries,
        ConsignmentQueries,
        WalletQueries,
        GradeQueries,
        ConsignmentStatsQueries,
        DistributionQueries,
        ReviewQueries,
        DistributorCentreQueries,
        WithdrawalQueries,
        RiskQueries,
        MembershipQueries,
        SettlementQueries,
        AgentQueries,
        FranchiseQueries,
        IdentityQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        NotificationMutations,
        AdminMutations,
        ContentMutations,
        MerchantMutations,
        StoreMutations,
        CatalogMutations,
        OrderMutations,
        CartMutations,
        AfterSaleMutations,
        ConsignmentMutations,
        DistributionMutations,
        DistributorCentreMutations,
        WithdrawalMutations,
        RiskMutations,
        GradeMutations,
        MembershipMutations,
        SettlementMutations,
        AgentMutations,
        FranchiseMutations,
        IdentityMutations,
    ),
)
describe_errors(Mutation)
Subscription = merge_types(
    "Subscription",
    (
        NotificationSubscriptions,
        OrderSubscriptions,
        ConsignmentSubscriptions,
        ConsignmentStatsSubscriptions,
        DistributionSubscriptions,
        ReviewSubscriptions,
        WithdrawalSubscriptions,
    ),
)


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions only; our coded errors and validation errors pass."""
    return is_unexpected(error)


def limit_rules() -> list:
    return [
        *QueryDepthLimiter(max_depth=settings.MAX_QUERY_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.MAX_ALIASES).validation_rules,
    ]


def extensions(debug: bool, rules: list) -> list:
    # Factories: Strawberry builds fresh extension instances per request. The parser and
    # validation caches live at module level, so they are shared all the same; the limit
    # rules are built once per schema, because the validation cache is keyed by the rule
    # classes (per-request limiter instances would make every request a cache miss).
    exts = [
        OperationTelemetry,  # first: it times the whole operation
        *tracing(),
        partial(ParserCache, maxsize=256),
        partial(ValidationCache, maxsize=256),
        partial(AddValidationRules, rules),
        partial(MaxTokensLimiter, max_token_count=settings.MAX_TOKENS),
    ]
    if not debug:
        exts += [partial(MaskErrors, should_mask_error=should_mask), DisableIntrospection]
    return exts


# Subscription fields served by compiled projections (schema/fast_paths/subscriptions.py):
# the ones with many subscribers per event.
FAST_SUBSCRIPTIONS = {"myQueuePositions": fast_my_queue_positions}


def build_schema(
    debug: bool = settings.DEBUG, *, fast_subscriptions: bool = True, fast_paths_enabled: bool = settings.FAST_PATHS
) -> strawberry.Schema:
    """`fast_subscriptions=False` serves every subscription through GraphQL execution;
    `fast_paths_enabled=False` turns off every fast path (schema/fast_paths)."""
    rules = limit_rules()
    return fast_paths.schema(
        enabled=fast_paths_enabled,
        fast_subscriptions=FAST_SUBSCRIPTIONS if fast_subscriptions else None,
        base=TelemetrySchema,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(debug, rules),
        config=StrawberryConfig(scalar_map={**MERCHANT_SCALARS}),
    )


schema = build_schema()
