"""Permission-matrix rows for consignment statistics: administrators only (consignment.manage)."""

PUBLIC: set[str] = set()

OPERATIONS = {
    (
        "Query",
        "consignmentStats",
    ): '{ consignmentStats(period: DAY, from: "2020-01-01", to: "2020-01-02") { buckets { start sales { amount } } } }',
    ("Subscription", "adminConsignmentStats"): None,
}
