"""Permission-matrix rows for the cart (ORD-1): every field needs a signed-in user and acts
on that user's own cart. Ids and codes here name nothing, so a signed-in customer gets
NOT_FOUND (as errors-as-data or a coded GraphQL error), never FORBIDDEN."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "cart"): "{ cart { itemCount total { amount } } }",
    ("Query", "sharedCart"): '{ sharedCart(code: "nosuchcode") { code } }',
    ("Mutation", "addToCart"): 'mutation { addToCart(skuId: "999999") { errors { code } } }',
    ("Mutation", "updateCartItem"): 'mutation { updateCartItem(id: "999999", quantity: 2) { errors { code } } }',
    ("Mutation", "removeCartItems"): 'mutation { removeCartItems(ids: ["999999"]) { errors { code } } }',
    (
        "Mutation",
        "selectCartItems",
    ): 'mutation { selectCartItems(ids: ["999999"], selected: true) { errors { code } } }',
    ("Mutation", "shareCart"): "mutation { shareCart { share { code } errors { code } } }",
    ("Mutation", "importSharedCart"): 'mutation { importSharedCart(code: "nosuchcode") { imported errors { code } } }',
}
