"""Permission-matrix rows for membership (MEM-1): my membership is the signed-in user's own;
the settings need membership.manage."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "myMembership"): "{ myMembership { isMember } }",
    ("Query", "membershipSettings"): "{ membershipSettings { days } }",
    (
        "Mutation",
        "updateMembershipSettings",
    ): 'mutation { updateMembershipSettings(input: {price: "0", days: 0}) { errors { code } } }',
}
