"""Permission-matrix rows for franchise stores: all need a signed-in user; naming a
franchisee is checked by the service (franchise.manage or the store's merchant owner), so a
customer gets a payload error there."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "myStoreMembership"): "{ myStoreMembership { boundAt } }",
    ("Query", "myFranchiseStores"): "{ myFranchiseStores { inviteCode } }",
    (
        "Mutation",
        "setStoreFranchisee",
    ): 'mutation { setStoreFranchisee(storeId: "999999", userId: "999999") { errors { code } } }',
    ("Mutation", "bindStore"): 'mutation { bindStore(code: "NOPE") { errors { code } } }',
}
