"""GraphQL documents for the points mall and lottery (MKT-4) and their permission-matrix rows:
the exchange statistics need sign-in (the service checks marketing.manage: FORBIDDEN)."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "pointsExchangeStats"): '{ pointsExchangeStats(from: "2026-01-01", to: "2026-01-02") { units } }',
}
