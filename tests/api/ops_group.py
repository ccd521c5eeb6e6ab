"""Permission-matrix rows for group buying (MKT-3): the storefront's groupActivities,
groupTeam (a share link: members masked) and groupTeamsToJoin are public, as is the groupTeam
subscription; buying needs sign-in; management and statistics need sign-in (the service checks
marketing.manage, or the merchant's merchant.marketing: FORBIDDEN in the payload)."""

PUBLIC = {"groupActivities", "groupTeam", "groupTeamsToJoin"}

OPERATIONS = {
    (
        "Mutation",
        "buyGroup",
    ): 'mutation { buyGroup(input: {groupActivityId: "999999", idempotencyKey: "k"}) { errors { code } } }',
    (
        "Mutation",
        "createGroupActivity",
    ): 'mutation { createGroupActivity(input: {skuId: "999999", name: "x", groupPrice: "1.00", teamSize: 2, timeLimitMinutes: 60, startsAt: "2099-01-01T00:00:00Z", endsAt: "2099-01-02T00:00:00Z"}) { errors { code } } }',
    (
        "Mutation",
        "updateGroupActivity",
    ): 'mutation { updateGroupActivity(id: "999999", input: {name: "x"}) { errors { code } } }',
    ("Mutation", "endGroupActivity"): 'mutation { endGroupActivity(id: "999999") { errors { code } } }',
    ("Query", "managedGroupActivities"): "{ managedGroupActivities { id } }",
    ("Query", "groupActivityStats"): '{ groupActivityStats(id: "999999") { teamsOpened } }',
}
