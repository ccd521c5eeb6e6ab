"""Permission-matrix rows for consignment: vouchers, wholesale units, the queue, snap-ups.

The user's own rows are looked up by owner (another user's ids answer NOT_FOUND); policies
and sessions need consignment.manage.
"""

PUBLIC = {"snapUpSessions"}

_SESSION = '{skuId: "999999", startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-02T00:00:00Z", units: 1}'

OPERATIONS = {
    ("Query", "myWallet"): "{ myWallet { available { amount } } }",
    ("Query", "myGrade"): "{ myGrade { grade } }",
    ("Query", "myVouchers"): "{ myVouchers { nodes { id } } }",
    ("Query", "myWholesaleUnits"): "{ myWholesaleUnits { nodes { id } } }",
    ("Query", "myQueuePositions"): "{ myQueuePositions { position } }",
    ("Query", "consignmentPolicy"): '{ consignmentPolicy(productId: "999999") { feeBp } }',
    ("Mutation", "consignUnits"): 'mutation { consignUnits(unitIds: ["999999"]) { errors { code } } }',
    (
        "Mutation",
        "consignFromOrderLine",
    ): 'mutation { consignFromOrderLine(lineId: "999999", quantity: 1) { errors { code } } }',
    ("Mutation", "keepUnitsForPickup"): 'mutation { keepUnitsForPickup(unitIds: ["999999"]) { errors { code } } }',
    ("Mutation", "cancelConsignment"): 'mutation { cancelConsignment(unitId: "999999") { errors { code } } }',
    ("Mutation", "joinSnapUp"): 'mutation { joinSnapUp(sessionId: "999999") { errors { code } } }',
    (
        "Mutation",
        "setConsignmentPolicy",
    ): 'mutation { setConsignmentPolicy(productId: "999999", feeBp: 1000, rewardKind: FIXED, rewardAmount: "0") { errors { code } } }',
    (
        "Mutation",
        "createSnapUpSession",
    ): f"mutation {{ createSnapUpSession(input: {_SESSION}) {{ errors {{ code }} }} }}",
    ("Subscription", "myQueuePositions"): None,
    ("Subscription", "myConsignmentSales"): None,
}
