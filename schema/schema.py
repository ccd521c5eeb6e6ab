"""Assembles Query, Mutation and Subscription from the domain modules, with the
security and performance extensions."""

from __future__ import annotations

from functools import cache, partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
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
from resolvers.bargain import BargainMutations, BargainQueries
from resolvers.bookings import BookingMutations, BookingQueries
from resolvers.cart import CartMutations, CartQueries
from resolvers.catalog import CatalogMutations, CatalogQueries
from resolvers.common import describe_errors
from resolvers.consignment import ConsignmentMutations, ConsignmentQueries
from resolvers.consignment_stats import ConsignmentStatsQueries
from resolvers.content import ContentMutations, ContentQueries
from resolvers.deliveries import DeliveryMutations, DeliveryQueries, StoreSummaryQueries
from resolvers.distribution import DistributionMutations, DistributionQueries
from resolvers.distributor_centre import DistributorCentreMutations, DistributorCentreQueries
from resolvers.flash import FlashMutations, FlashQueries
from resolvers.franchise import FranchiseMutations, FranchiseQueries
from resolvers.grades import GradeMutations, GradeQueries
from resolvers.group import GroupMutations, GroupQueries
from resolvers.identity import IdentityMutations, IdentityQueries
from resolvers.marketing import MarketingMutations, MarketingQueries
from resolvers.materials import MaterialMutations, MaterialQueries
from resolvers.member_cards import MemberCardMutations, MemberCardQueries
from resolvers.membership import MembershipMutations, MembershipQueries
from resolvers.merchants import MerchantMutations, MerchantQueries
from resolvers.nodes import NodeQueries, check_fetchers
from resolvers.notifications import NotificationMutations, NotificationQueries
from resolvers.orders import OrderMutations, OrderQueries, SandboxPaymentMutations
from resolvers.points import LotteryMutations, LotteryQueries, PointsQueries
from resolvers.posters import PosterMutations, PosterQueries
from resolvers.promotions import PromotionMutations, PromotionQueries
from resolvers.punch_cards import PunchCardMutations, PunchCardQueries
from resolvers.reviews import ReviewQueries
from resolvers.risk import RiskMutations, RiskQueries
from resolvers.settlement import SettlementMutations, SettlementQueries
from resolvers.store_payments import StorePaymentMutations, StorePaymentQueries
from resolvers.stores import StoreMutations, StoreQueries
from resolvers.wallet import WalletQueries
from resolvers.withdrawals import SandboxPayoutMutations, WithdrawalMutations, WithdrawalQueries
from schema import fast_paths, node
from schema.coded_errors import coded_errors
from schema.money import SCALAR_MAP as MONEY_SCALARS
from schema.telemetry import OperationTelemetry, TelemetrySchema, is_unexpected, tracing
from schema.types.merchants import SCALAR_MAP as MERCHANT_SCALARS
from subscriptions.bargain import BargainSubscriptions
from subscriptions.consignment import ConsignmentSubscriptions, fast_my_queue_positions
from subscriptions.consignment_stats import ConsignmentStatsSubscriptions
from subscriptions.deliveries import DeliverySubscriptions
from subscriptions.distribution import DistributionSubscriptions
from subscriptions.flash import FlashSubscriptions
from subscriptions.group import GroupSubscriptions
from subscriptions.lottery import LotterySubscriptions
from subscriptions.marketing import MarketingSubscriptions
from subscriptions.notifications import NotificationSubscriptions, fast_my_notifications
from subscriptions.orders import OrderSubscriptions
from subscriptions.reviews import ReviewSubscriptions
from subscriptions.stores import StoreSubscriptions
from subscriptions.withdrawals import WithdrawalSubscriptions

Query = merge_types(
    "Query",
    (
        NodeQueries,
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
        StorePaymentQueries,
        MemberCardQueries,
        PunchCardQueries,
        BookingQueries,
        DeliveryQueries,
        StoreSummaryQueries,
        IdentityQueries,
        MarketingQueries,
        PromotionQueries,
        PointsQueries,
        LotteryQueries,
        FlashQueries,
        GroupQueries,
        BargainQueries,
        MaterialQueries,
        PosterQueries,
    ),
)
MUTATIONS = (
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
    StorePaymentMutations,
    MemberCardMutations,
    PunchCardMutations,
    BookingMutations,
    DeliveryMutations,
    IdentityMutations,
    MarketingMutations,
    PromotionMutations,
    LotteryMutations,
    FlashMutations,
    GroupMutations,
    BargainMutations,
    MaterialMutations,
    PosterMutations,
)


@cache
def mutation_type(sandbox_payments: bool, sandbox_payouts: bool) -> type:
    """The Mutation root; the sandbox's mutations only where the sandbox is configured."""
    parts = MUTATIONS + (SandboxPaymentMutations,) * sandbox_payments + (SandboxPayoutMutations,) * sandbox_payouts
    merged = merge_types("Mutation", parts)
    describe_errors(merged)
    return merged


Mutation = mutation_type(False, False)  # the production face (schema.graphql)
Subscription = merge_types(
    "Subscription",
    (
        NotificationSubscriptions,
        OrderSubscriptions,
        ConsignmentSubscriptions,
        ConsignmentStatsSubscriptions,
        DistributionSubscriptions,
        MarketingSubscriptions,
        LotterySubscriptions,
        ReviewSubscriptions,
        WithdrawalSubscriptions,
        StoreSubscriptions,
        DeliverySubscriptions,
        FlashSubscriptions,
        GroupSubscriptions,
        BargainSubscriptions,
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
        # A code on every error; outside DEBUG unexpected ones masked, suggestions cut.
        coded_errors(debug),
    ]
    if not debug:
        exts.append(DisableIntrospection)
    return exts


# Subscription fields served by compiled projections (schema/fast_paths/subscriptions.py):
# the ones with many subscribers per event.
FAST_SUBSCRIPTIONS = {"myQueuePositions": fast_my_queue_positions, "myNotifications": fast_my_notifications}


def build_schema(
    debug: bool = settings.DEBUG,
    *,
    fast_subscriptions: bool = True,
    fast_paths_enabled: bool = settings.FAST_PATHS,
    sandbox_payments: bool | None = None,
    sandbox_payouts: bool | None = None,
) -> strawberry.Schema:
    """`fast_subscriptions=False` serves every subscription through GraphQL execution;
    `fast_paths_enabled=False` turns off every fast path (schema/fast_paths); the sandbox's
    mutations as configured (settings.sandbox_payments / sandbox_payouts) unless given."""
    payments = settings.sandbox_payments() if sandbox_payments is None else sandbox_payments
    payouts = settings.sandbox_payouts() if sandbox_payouts is None else sandbox_payouts
    rules = limit_rules()
    built = fast_paths.schema(
        enabled=fast_paths_enabled,
        fast_subscriptions=FAST_SUBSCRIPTIONS if fast_subscriptions else None,
        base=TelemetrySchema,
        query=Query,
        mutation=mutation_type(payments, payouts),
        subscription=Subscription,
        extensions=extensions(debug, rules),
        config=StrawberryConfig(scalar_map={**MONEY_SCALARS, **MERCHANT_SCALARS}),
    )
    check_fetchers(node.install(built))
    return built


def public_schema() -> strawberry.Schema:
    """The production face, as schema.graphql records it: no sandbox mutations."""
    return build_schema(sandbox_payments=False, sandbox_payouts=False)


schema = build_schema()  # as configured
