"""Admin review queue counts (a dashboard badge; live in subscriptions/reviews.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, viewer
from schema.types.reviews import ReviewCounts
from services.accounts import access, review_queues


@strawberry.type
class ReviewQueries:
    @strawberry.field(
        description="How many items wait in each review queue I may work (merchant applications, withdrawals, risk "
        "cases, distributor applications …); an empty list when I may work none.",
        extensions=login_required(),
    )
    async def admin_review_counts(self, info: Info) -> ReviewCounts:
        queues = review_queues.visible(await access.load_grants(viewer(info).id))
        return ReviewCounts.build(queues, await review_queues.counts(queues))
