"""Permission-matrix rows for the accounts, notifications and admin fields."""

PUBLIC = {"me", "requestSmsCode", "signInWithSms", "signInWithWechat", "refreshToken"}

OPERATIONS = {
    (
        "Mutation",
        "bindPhone",
    ): 'mutation { bindPhone(phone: "123", code: "000000") { errors { code } } }',  # invalid: changes nothing
    ("Query", "myNotifications"): "{ myNotifications { nodes { id } } }",
    ("Query", "users"): "{ users { nodes { id } } }",
    ("Query", "user"): '{ user(id: "1") { id } }',
    ("Query", "roles"): "{ roles { code } }",
    ("Query", "ledgerAccounts"): "{ ledgerAccounts { nodes { id } } }",
    ("Query", "ledgerInvariantViolations"): "{ ledgerInvariantViolations { rule } }",
    ("Mutation", "signOut"): "mutation { signOut { ok } }",
    ("Mutation", "signOutEverywhere"): "mutation { signOutEverywhere { ok } }",
    ("Mutation", "updateProfile"): 'mutation { updateProfile(nickname: "x") { errors { code } } }',
    ("Mutation", "bindUpline"): 'mutation { bindUpline(inviteCode: "ZZZZZZZZ") { errors { code } } }',
    (
        "Mutation",
        "createAddress",
    ): 'mutation { createAddress(input: {recipient: "a", phone: "13800138000", provinceCode: "110000", cityCode: "110100", countyCode: "110101", detail: "d"}) { errors { code } } }',
    (
        "Mutation",
        "updateAddress",
    ): 'mutation { updateAddress(id: "1", input: {recipient: "a", phone: "13800138000", provinceCode: "110000", cityCode: "110100", countyCode: "110101", detail: "d"}) { errors { code } } }',
    ("Mutation", "setDefaultAddress"): 'mutation { setDefaultAddress(id: "1") { errors { code } } }',
    ("Mutation", "deleteAddress"): 'mutation { deleteAddress(id: "1") { errors { code } } }',
    ("Mutation", "markNotificationsRead"): 'mutation { markNotificationsRead(ids: ["1"]) { marked } }',
    ("Mutation", "sendNotification"): 'mutation { sendNotification(userId: "1", title: "t") { errors { code } } }',
    ("Mutation", "grantRole"): 'mutation { grantRole(userId: "1", role: "admin") { ok } }',
    ("Mutation", "revokeRole"): 'mutation { revokeRole(userId: "1", role: "admin") { ok } }',
    (
        "Mutation",
        "rebindUpline",
    ): 'mutation { rebindUpline(userId: "1", inviteCode: "ZZZZZZZZ", reason: "r") { errors { code } } }',
    ("Mutation", "unbindUpline"): 'mutation { unbindUpline(userId: "1", reason: "r") { errors { code } } }',
    ("Subscription", "myNotifications"): None,  # over WebSocket: tests/api/test_subscriptions.py
}
