"""GraphQL documents for becoming a distributor (DIS-3) and the distributor centre (DIS-5), and
their permission-matrix rows: my status, applying and the centre are the signed-in user's own;
settings and the review queue need distribution.manage."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "distributorSettings"): "{ distributorSettings { mode } }",
    ("Query", "myDistributorStatus"): "{ myDistributorStatus { mode isDistributor } }",
    ("Query", "distributorApplications"): "{ distributorApplications { nodes { id } } }",
    ("Query", "pendingDistributorApplications"): "{ pendingDistributorApplications }",
    ("Query", "myTeamCounts"): "{ myTeamCounts { total } }",
    ("Query", "myTeam"): "{ myTeam(level: 1) { nodes { maskedName } } }",
    (
        "Query",
        "myDistributorPerformance",
    ): '{ myDistributorPerformance(period: DAY, from: "2020-01-01", to: "2020-01-01") { period } }',
    ("Query", "myPromotionStats"): '{ myPromotionStats(period: DAY, from: "2020-01-01", to: "2020-01-01") { period } }',
    ("Query", "myInviteLink"): "{ myInviteLink { code } }",
    ("Query", "distributorLeaderboard"): "{ distributorLeaderboard(by: COMMISSION, period: DAY) { start } }",
    # THRESHOLD without a threshold is refused: the matrix changes nothing
    (
        "Mutation",
        "updateDistributorSettings",
    ): "mutation { updateDistributorSettings(input: {mode: THRESHOLD}) { errors { code } } }",
    ("Mutation", "applyForDistributor"): "mutation { applyForDistributor { errors { code } } }",
    (
        "Mutation",
        "reviewDistributorApplication",
    ): 'mutation { reviewDistributorApplication(id: "999999", approve: true) { errors { code } } }',
}

SETTINGS = """mutation($i: DistributorSettingsInput!) { updateDistributorSettings(input: $i) {
  settings { mode minSpent { amount } minPaidOrders match updatedAt } errors { code field message } } }"""
READ_SETTINGS = "{ distributorSettings { mode minSpent { amount } minPaidOrders match updatedAt } }"
STATUS = """{ myDistributorStatus { mode isDistributor spent { amount } paidOrders missing
  application { id status mode reason applicantNickname } } }"""
APPLY = """mutation { applyForDistributor { application { id status mode applicantId applicantNickname spent { amount } paidOrders }
  errors { code field message } } }"""
QUEUE = """query($s: DistributorApplicationStatus, $first: Int, $after: String) {
  distributorApplications(status: $s, first: $first, after: $after) {
    nodes { id status applicantId applicantNickname reason reviewedAt } pageInfo { hasNextPage endCursor } }
  pendingDistributorApplications }"""
REVIEW = """mutation($id: ID!, $ok: Boolean!, $r: String) { reviewDistributorApplication(id: $id, approve: $ok, reason: $r) {
  application { id status reason reviewedAt } errors { code field message } } }"""
TEAM_COUNTS = "{ myTeamCounts { level1 level2 level3 total } }"
TEAM = """query($level: Int!, $first: Int, $after: String) { myTeam(level: $level, first: $first, after: $after) {
  nodes { level maskedName joinedAt paidOrders paidAmount { amount } } pageInfo { hasNextPage endCursor } } }"""
PERFORMANCE = """query($p: StatsPeriod!, $f: Date!, $t: Date!) { myDistributorPerformance(period: $p, from: $f, to: $t) {
  period buckets { start end teamOrders teamGoods { amount } commissionBooked { amount } commissionReleased { amount } }
  total { start end teamOrders teamGoods { amount } commissionBooked { amount } commissionReleased { amount } } } }"""
PROMOTION = """query($p: StatsPeriod!, $f: Date!, $t: Date!) { myPromotionStats(period: $p, from: $f, to: $t) {
  buckets { start end clicks signUps buyers orders orderGoods { amount } signUpRateBp buyerRateBp }
  total { clicks signUps buyers orders orderGoods { amount } signUpRateBp buyerRateBp } } }"""
INVITE = "{ myInviteLink { code url signupUrl qrPngUrl qrSvgUrl qrSvgDataUri } }"
LEADERBOARD = """query($by: LeaderboardBy!, $p: StatsPeriod!, $limit: Int) { distributorLeaderboard(by: $by, period: $p, limit: $limit) {
  by period start end entries { rank maskedName newMembers amount { amount } isMe } } }"""
