"""Permission-matrix rows for punch cards (STO-3): every field needs a signed-in user; the
merchant's and the store's permissions (merchant.products, store.redeem) and the card's holder
are checked by the service."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "myPunchCards"): "{ myPunchCards { id } }",
    ("Query", "punchCard"): '{ punchCard(id: "999999") { id } }',
    (
        "Mutation",
        "setPunchCardTerms",
    ): 'mutation { setPunchCardTerms(productId: "999999", uses: 10, validDays: 30) { errors { code } } }',
    ("Mutation", "punchCardCode"): 'mutation { punchCardCode(cardId: "999999") { errors { code } } }',
    (
        "Mutation",
        "redeemPunchCard",
    ): 'mutation { redeemPunchCard(storeId: "999999", code: "1") { errors { code } } }',
    ("Mutation", "refundPunchCard"): 'mutation { refundPunchCard(id: "999999") { errors { code } } }',
}
