"""Permission-matrix rows for in-store payment (STO-1): every field needs a signed-in user;
store permissions (store.cashier, store.refund) are checked by the service, so a customer
gets a payload error (or FORBIDDEN / NOT_FOUND) there. The live feed is tested over WebSocket
in tests/api/test_store_payments.py."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "storePaymentCode"): '{ storePaymentCode(storeId: "999999") { code } }',
    ("Query", "storeByPaymentCode"): '{ storeByPaymentCode(code: "1.x") { id } }',
    ("Query", "storePaymentReceipt"): '{ storePaymentReceipt(id: "999999") { receiptNo } }',
    ("Query", "storePayments"): '{ storePayments(storeId: "999999") { nodes { receiptNo } } }',
    (
        "Mutation",
        "payAtStore",
    ): 'mutation { payAtStore(code: "1.x", amount: "1.00", idempotencyKey: "k") { errors { code } } }',
    (
        "Mutation",
        "refundStorePayment",
    ): 'mutation { refundStorePayment(id: "999999", amount: "1.00") { errors { code } } }',
    (
        "Mutation",
        "setStoreStaffPermissions",
    ): 'mutation { setStoreStaffPermissions(storeId: "1", userId: "1", permissions: []) { errors { code } } }',
    ("Query", "storePaymentRequest"): '{ storePaymentRequest(code: "R1.x") { id } }',
    ("Query", "storePaymentRequests"): '{ storePaymentRequests(storeId: "999999") { nodes { id } } }',
    (
        "Mutation",
        "requestStorePayment",
    ): 'mutation { requestStorePayment(storeId: "999999", amount: "1.00") { errors { code } } }',
    (
        "Mutation",
        "cancelStorePaymentRequest",
    ): 'mutation { cancelStorePaymentRequest(id: "999999") { errors { code } } }',
    (
        "Mutation",
        "payStorePaymentRequest",
    ): 'mutation { payStorePaymentRequest(code: "R1.x", idempotencyKey: "k") { errors { code } } }',
    ("Subscription", "storePaymentEvents"): None,
}
