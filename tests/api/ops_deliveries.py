"""Permission-matrix rows for store delivery (STO-5): a store's rule is public; an order's
delivery, the store's list and the staff mutations need a signed-in user, and store.delivery
(merchant.settings for the rule) is checked by the service. The live updates are tested over
WebSocket in tests/api/test_store_delivery.py."""

PUBLIC: set[str] = {"storeDeliveryRule"}

OPERATIONS = {
    ("Query", "orderStoreDelivery"): '{ orderStoreDelivery(orderId: "999999") { id } }',
    ("Query", "storeDeliveries"): '{ storeDeliveries(storeId: "999999") { nodes { id } } }',
    ("Query", "storeDailySummary"): '{ storeDailySummary(storeId: "999999", date: "2026-01-01") { date } }',
    (
        "Mutation",
        "setStoreDeliveryRule",
    ): 'mutation { setStoreDeliveryRule(storeId: "1", input: {radiusMeters: 1000}) { errors { code } } }',
    ("Mutation", "dispatchStoreDelivery"): 'mutation { dispatchStoreDelivery(orderId: "1") { errors { code } } }',
    (
        "Mutation",
        "updateStoreDelivery",
    ): 'mutation { updateStoreDelivery(orderId: "1", status: DELIVERED) { errors { code } } }',
    ("Mutation", "cancelStoreDelivery"): 'mutation { cancelStoreDelivery(orderId: "1") { errors { code } } }',
    ("Subscription", "storeDeliveryUpdates"): None,
}
