"""Permission-matrix rows for checkout, payment and the order lifecycle.

All need a signed-in user; the order's own scope (its buyer, its merchant's order staff,
its store's staff, platform support) is checked by the services — see
tests/api/test_orders.py. Ids here name nothing, so a signed-in customer gets NOT_FOUND
or a payload error, never FORBIDDEN.
"""

_ITEMS = '[{skuId: "999999", quantity: 1}]'

OPERATIONS = {
    ("Query", "myOrders"): "{ myOrders { nodes { id } } }",
    ("Query", "checkoutPreview"): f"{{ checkoutPreview(input: {{items: {_ITEMS}}}) {{ payAmount {{ amount }} }} }}",
    ("Query", "order"): '{ order(id: "999999") { id } }',
    ("Query", "merchantOrders"): '{ merchantOrders(merchantId: "999999") { nodes { id } } }',
    ("Query", "payment"): '{ payment(id: "999999") { id } }',
    (
        "Mutation",
        "placeOrder",
    ): f'mutation {{ placeOrder(input: {{idempotencyKey: "k", items: {_ITEMS}}}) {{ errors {{ code }} }} }}',
    ("Mutation", "payWithWallet"): 'mutation { payWithWallet(paymentId: "999999") { errors { code } } }',
    ("Mutation", "startGatewayPayment"): 'mutation { startGatewayPayment(paymentId: "999999") { errors { code } } }',
    ("Mutation", "sandboxPay"): 'mutation { sandboxPay(tradeNo: "nope") { errors { code } } }',
    ("Mutation", "cancelOrder"): 'mutation { cancelOrder(orderId: "999999") { errors { code } } }',
    (
        "Mutation",
        "shipOrder",
    ): 'mutation { shipOrder(orderId: "999999", carrier: "SF", trackingNo: "SF0001") { errors { code } } }',
    (
        "Mutation",
        "addTrackingEvent",
    ): 'mutation { addTrackingEvent(orderId: "999999", status: IN_TRANSIT, description: "d") { errors { code } } }',
    ("Mutation", "markReadyForPickup"): 'mutation { markReadyForPickup(orderId: "999999") { errors { code } } }',
    ("Mutation", "verifyPickup"): 'mutation { verifyPickup(storeId: "999999", code: "12345678") { errors { code } } }',
    ("Mutation", "confirmReceipt"): 'mutation { confirmReceipt(orderId: "999999") { errors { code } } }',
    ("Subscription", "myOrderUpdates"): None,
    ("Subscription", "merchantEvents"): None,
}
