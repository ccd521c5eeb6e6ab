"""Permission-matrix rows for after-sales (ORD-7).

All need a signed-in user; the request's own scope (its buyer, its merchant's order staff,
platform support) is checked by the services — see tests/api/test_after_sales.py. Ids
here name nothing, so a signed-in customer gets NOT_FOUND or a payload error, never
FORBIDDEN.
"""

OPERATIONS = {
    ("Query", "myAfterSales"): "{ myAfterSales { nodes { id } } }",
    ("Query", "merchantAfterSales"): '{ merchantAfterSales(merchantId: "999999") { nodes { id } } }',
    ("Query", "afterSale"): '{ afterSale(id: "999999") { id } }',
    (
        "Mutation",
        "requestAfterSale",
    ): 'mutation { requestAfterSale(lineId: "999999", kind: REFUND_ONLY, quantity: 1, reason: "r") { errors { code } } }',
    ("Mutation", "cancelAfterSale"): 'mutation { cancelAfterSale(id: "999999") { errors { code } } }',
    ("Mutation", "approveAfterSale"): 'mutation { approveAfterSale(id: "999999") { errors { code } } }',
    ("Mutation", "rejectAfterSale"): 'mutation { rejectAfterSale(id: "999999", reason: "r") { errors { code } } }',
    (
        "Mutation",
        "submitReturnShipment",
    ): 'mutation { submitReturnShipment(id: "999999", carrier: "SF", trackingNo: "SF0001") { errors { code } } }',
    ("Mutation", "receiveReturn"): 'mutation { receiveReturn(id: "999999") { errors { code } } }',
}
