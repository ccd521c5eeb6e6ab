"""Admin review queues: how many items wait for a decision in each queue the admin may work."""

from __future__ import annotations

import strawberry

from services.accounts import review_queues


@strawberry.type(description="One review queue and the number of items waiting in it.")
class ReviewQueueCount:
    queue: str = strawberry.field(
        description="Stable queue id: MERCHANT_APPLICATIONS, WITHDRAWALS, RISK_CASES, DISTRIBUTOR_APPLICATIONS …."
    )
    description: str = strawberry.field(description="What waits in this queue.")
    pending: int = strawberry.field(description="Items awaiting a decision now.")


@strawberry.type(description="The pending counts of every review queue the signed-in admin may work.")
class ReviewCounts:
    queues: list[ReviewQueueCount] = strawberry.field(description="One entry per visible queue, in a stable order.")
    total: int = strawberry.field(description="All pending items across these queues.")

    @classmethod
    def build(cls, queues: list[review_queues.ReviewQueue], counts: dict[str, int]) -> ReviewCounts:
        rows = [
            ReviewQueueCount(queue=q.name, description=q.description, pending=counts.get(q.name, 0)) for q in queues
        ]
        return cls(queues=rows, total=sum(r.pending for r in rows))
