"""Permission-matrix rows for the admin review counts: signed-in users (each sees only the queues it may work)."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "adminReviewCounts"): "{ adminReviewCounts { total } }",
    ("Subscription", "adminReviewCounts"): None,
}
