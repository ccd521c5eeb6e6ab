"""GraphQL documents for the points mall and lottery (MKT-4) and their permission-matrix rows:
the exchange statistics need marketing.manage; creating and ending a lottery sign-in (the
service checks marketing.manage: FORBIDDEN in the payload); drawing, my draws and the live
wins sign-in; the lotteries and their recent wins are public."""

PUBLIC = {"lotteryActivities", "lotteryActivity", "recentLotteryWins"}

OPERATIONS = {
    ("Query", "pointsExchangeStats"): '{ pointsExchangeStats(from: "2026-01-01", to: "2026-01-02") { units } }',
    ("Query", "myLotteryDraws"): "{ myLotteryDraws { nodes { id } } }",
    (
        "Mutation",
        "createLotteryActivity",
    ): 'mutation { createLotteryActivity(input: {name: "x", costPoints: 1, startsAt: "2026-01-01T00:00:00Z", endsAt: "2099-01-01T00:00:00Z", dailyLimit: 1, prizes: [{name: "p", kind: NOTHING, probabilityPpm: 1}]}) { errors { code } } }',
    ("Mutation", "endLotteryActivity"): 'mutation { endLotteryActivity(id: "999999") { errors { code } } }',
    ("Mutation", "drawLottery"): 'mutation { drawLottery(activityId: "999999") { errors { code } } }',
    ("Subscription", "lotteryWins"): None,
}
