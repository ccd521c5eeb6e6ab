"""GraphQL documents for coupons (MKT-1, MKT-6) and their permission-matrix rows: template
management needs sign-in (the service checks marketing.manage or the merchant's
merchant.marketing: FORBIDDEN in the payload), claiming and my coupons sign-in; the
storefront's availableCoupons is public."""

PUBLIC = {"availableCoupons"}

OPERATIONS = {
    (
        "Query",
        "couponTemplateStats",
    ): '{ couponTemplateStats(templateId: "999999", period: DAY, from: "2026-01-01", to: "2026-01-02") { totals { used } } }',
    ("Subscription", "myCouponEvents"): None,
    ("Query", "promotions"): "{ promotions { nodes { id } } }",
    (
        "Query",
        "promotionStats",
    ): '{ promotionStats(promotionId: "999999", period: DAY, from: "2026-01-01", to: "2026-01-02") { totals { units } } }',
    (
        "Mutation",
        "createPromotion",
    ): 'mutation { createPromotion(input: {name: "x", kind: FULL_REDUCTION, startsAt: "2026-01-01T00:00:00Z", endsAt: "2099-01-01T00:00:00Z", tiers: [{threshold: "1.00", amount: "0.10"}]}) { errors { code } } }',
    ("Mutation", "activatePromotion"): 'mutation { activatePromotion(id: "999999") { errors { code } } }',
    ("Mutation", "pausePromotion"): 'mutation { pausePromotion(id: "999999") { errors { code } } }',
    ("Mutation", "endPromotion"): 'mutation { endPromotion(id: "999999") { errors { code } } }',
    ("Query", "couponTemplates"): "{ couponTemplates { nodes { id } } }",
    ("Query", "myCoupons"): "{ myCoupons { nodes { id } } }",
    (
        "Mutation",
        "createCouponTemplate",
    ): 'mutation { createCouponTemplate(input: {name: "x", kind: FIXED, amount: "1.00", totalQuantity: 1, validDays: 1}) { errors { code } } }',
    ("Mutation", "activateCouponTemplate"): 'mutation { activateCouponTemplate(id: "999999") { errors { code } } }',
    ("Mutation", "pauseCouponTemplate"): 'mutation { pauseCouponTemplate(id: "999999") { errors { code } } }',
    ("Mutation", "endCouponTemplate"): 'mutation { endCouponTemplate(id: "999999") { errors { code } } }',
    ("Mutation", "claimCoupon"): 'mutation { claimCoupon(templateId: "999999") { errors { code } } }',
    (
        "Mutation",
        "issueCoupons",
    ): 'mutation { issueCoupons(templateId: "999999", userIds: ["999999"]) { errors { code } } }',
}

TEMPLATE_FIELDS = """id merchantId name description kind amount { amount } rateBp cap { amount } threshold { amount }
  scope { categoryIds productIds merchantIds zones excludedCategoryIds excludedProductIds excludedZones }
  validFrom validUntil validDays totalQuantity perUserLimit claimedCount remaining usedCount claimedByMe
  stacks claimable status createdAt"""

CREATE = (
    """mutation($input: CouponTemplateInput!) { createCouponTemplate(input: $input) {
  template { %s } errors { code field } } }"""
    % TEMPLATE_FIELDS
)

STATUS_CHANGE = """mutation($id: ID!) { %s(id: $id) { template { id status } errors { code field } } }"""

TEMPLATES = (
    """query($m: ID, $s: CouponTemplateStatus, $first: Int, $after: String) {
  couponTemplates(merchantId: $m, status: $s, first: $first, after: $after) {
    nodes { %s } pageInfo { hasNextPage endCursor } } }"""
    % TEMPLATE_FIELDS
)

AVAILABLE = """query($m: ID, $first: Int) { availableCoupons(merchantId: $m, first: $first) {
  nodes { id name kind remaining claimedByMe amount { amount } threshold { amount } } } }"""

COUPON_FIELDS = """id status source validFrom expiresAt createdAt usedAt paymentId orderId discount { amount }
  template { id name kind }"""

CLAIM = """mutation($t: ID!) { claimCoupon(templateId: $t) { coupon { %s } errors { code field } } }""" % COUPON_FIELDS

ISSUE = """mutation($t: ID!, $users: [ID!]!) { issueCoupons(templateId: $t, userIds: $users) {
  coupons { id source template { id } } errors { code field } } }"""

MINE = (
    """query($s: UserCouponStatus, $first: Int) { myCoupons(status: $s, first: $first) { nodes { %s } } }"""
    % COUPON_FIELDS
)
