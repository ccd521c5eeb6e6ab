"""Permission-matrix rows for distribution: my commissions are the signed-in user's own;
settings and risk review need distribution.manage."""

PUBLIC: set[str] = set()

_SETTINGS = "{levels: 4, rules: [], selfPurchase: false, freezeDays: 7}"  # refused (levels): changes nothing

OPERATIONS = {
    (
        "Query",
        "distributionSettings",
    ): "{ distributionSettings { levels rules { level kind amount { amount } rateBp } } }",
    ("Query", "myCommissions"): "{ myCommissions { nodes { id } } }",
    ("Query", "myCommissionSummary"): "{ myCommissionSummary { pending { amount } } }",
    (
        "Mutation",
        "updateDistributionSettings",
    ): f"mutation {{ updateDistributionSettings(input: {_SETTINGS}) {{ errors {{ code }} }} }}",
    ("Mutation", "rejectCommission"): 'mutation { rejectCommission(id: "999999", reason: "x") { errors { code } } }',
    ("Subscription", "myCommissionEvents"): None,
}
