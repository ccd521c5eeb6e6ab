"""GraphQL documents for flash sales (MKT-3) and their permission-matrix rows: the storefront's
flashSessions is public, as is the flashStock subscription; buying needs sign-in; management
and statistics need sign-in (the service checks marketing.manage, or the merchant's
merchant.marketing for its own items: FORBIDDEN in the payload)."""

PUBLIC = {"flashSessions"}

OPERATIONS = {
    (
        "Mutation",
        "buyFlash",
    ): 'mutation { buyFlash(input: {flashItemId: "999999", idempotencyKey: "k"}) { errors { code } } }',
    (
        "Mutation",
        "createFlashSession",
    ): 'mutation { createFlashSession(input: {name: "x", day: "2099-01-01", slot: "10:00"}) { errors { code } } }',
    ("Mutation", "cancelFlashSession"): 'mutation { cancelFlashSession(id: "999999") { errors { code } } }',
    (
        "Mutation",
        "addFlashItem",
    ): 'mutation { addFlashItem(input: {sessionId: "999999", skuId: "999999", flashPrice: "1.00", stock: 1}) { errors { code } } }',
    ("Mutation", "removeFlashItem"): 'mutation { removeFlashItem(id: "999999") { errors { code } } }',
    ("Query", "flashSessionStats"): '{ flashSessionStats(id: "999999") { attempts } }',
}
