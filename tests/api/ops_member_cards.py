"""Permission-matrix rows for member cards (STO-2): every field needs a signed-in user; the
merchant's permission (merchant.settings) and the card's holder are checked by the service."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "memberCardPlans"): '{ memberCardPlans(merchantId: "999999") { id } }',
    ("Query", "myMemberCards"): "{ myMemberCards { id } }",
    ("Query", "memberCard"): '{ memberCard(id: "999999") { id } }',
    (
        "Mutation",
        "createMemberCardPlan",
    ): 'mutation { createMemberCardPlan(merchantId: "999999", name: "x", topUpRules: []) { errors { code } } }',
    (
        "Mutation",
        "topUpMemberCard",
    ): 'mutation { topUpMemberCard(planId: "999999", amount: "1.00", idempotencyKey: "k") { errors { code } } }',
    (
        "Mutation",
        "payWithMemberCard",
    ): 'mutation { payWithMemberCard(paymentId: "999999", memberCardId: "999999") { errors { code } } }',
    ("Mutation", "refundMemberCard"): 'mutation { refundMemberCard(id: "999999") { errors { code } } }',
}
