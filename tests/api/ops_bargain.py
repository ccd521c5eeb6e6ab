"""GraphQL documents for bargains (MKT-3) and their permission-matrix rows: the storefront's
bargainActivities and bargain(id) (a share link) are public, as is the bargain subscription;
starting, helping and buying need sign-in; management and statistics need sign-in (the service
checks marketing.manage, or the merchant's merchant.marketing: FORBIDDEN in the payload)."""

PUBLIC = {"bargainActivities", "bargain"}

OPERATIONS = {
    ("Mutation", "startBargain"): 'mutation { startBargain(activityId: "999999") { errors { code } } }',
    ("Mutation", "helpBargain"): 'mutation { helpBargain(bargainId: "999999") { errors { code } } }',
    (
        "Mutation",
        "buyBargain",
    ): 'mutation { buyBargain(input: {bargainId: "999999", idempotencyKey: "k"}) { errors { code } } }',
    (
        "Mutation",
        "createBargainActivity",
    ): 'mutation { createBargainActivity(input: {skuId: "999999", name: "x", startPrice: "2.00", floorPrice: "1.00", helpsNeeded: 1, startsAt: "2099-01-01T00:00:00Z", endsAt: "2099-01-02T00:00:00Z"}) { errors { code } } }',
    (
        "Mutation",
        "updateBargainActivity",
    ): 'mutation { updateBargainActivity(id: "999999", input: {name: "x"}) { errors { code } } }',
    ("Query", "managedBargainActivities"): "{ managedBargainActivities { id } }",
    ("Query", "bargainActivityStats"): '{ bargainActivityStats(id: "999999") { attempts } }',
}
