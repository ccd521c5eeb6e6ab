"""Permission-matrix rows and GraphQL documents for risk control (RISK-2): everything needs
risk.manage. The matrix rows change nothing (unknown ids, refused input)."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "riskRules"): "{ riskRules { id kind } }",
    ("Query", "riskCases"): "{ riskCases { nodes { id } } }",
    ("Query", "riskCase"): '{ riskCase(id: "999999") { id } }',
    ("Query", "pendingRiskReviewCount"): "{ pendingRiskReviewCount }",
    ("Query", "riskAudit"): "{ riskAudit { nodes { id } } }",
    (
        "Mutation",
        "createRiskRule",
    ): "mutation { createRiskRule(input: {kind: ORDER_VELOCITY, params: {bogus: 1}}) { errors { code } } }",
    (
        "Mutation",
        "updateRiskRule",
    ): 'mutation { updateRiskRule(input: {id: "999999", enabled: false}) { errors { code } } }',
    ("Mutation", "deleteRiskRule"): 'mutation { deleteRiskRule(id: "999999") { errors { code } } }',
    ("Mutation", "installDefaultRiskRules"): "mutation { installDefaultRiskRules { rules { id } errors { code } } }",
    ("Mutation", "releaseRiskCase"): 'mutation { releaseRiskCase(id: "999999", reason: "x") { errors { code } } }',
    ("Mutation", "rejectRiskCase"): 'mutation { rejectRiskCase(id: "999999", reason: "x") { errors { code } } }',
}

RULE_FIELDS = "id kind params enabled description"
CASE_FIELDS = """id kind status ruleId subjectUserId evidence hitCount decisionReason decidedAt decidedById
  heldItems { kind itemId outcome } hits { orderId evidence }"""

CREATE_RULE = f"""mutation($i: CreateRiskRuleInput!) {{ createRiskRule(input: $i) {{ rule {{ {RULE_FIELDS} }} errors {{ code field }} }} }}"""
UPDATE_RULE = f"""mutation($i: UpdateRiskRuleInput!) {{ updateRiskRule(input: $i) {{ rule {{ {RULE_FIELDS} }} errors {{ code field }} }} }}"""
DELETE_RULE = "mutation($id: ID!) { deleteRiskRule(id: $id) { deletedId errors { code } } }"
INSTALL_DEFAULTS = f"mutation {{ installDefaultRiskRules {{ rules {{ {RULE_FIELDS} }} errors {{ code }} }} }}"
RULES = f"{{ riskRules {{ {RULE_FIELDS} }} }}"
CASES = f"""query($s: RiskCaseStatus, $first: Int!, $after: String) {{ riskCases(status: $s, first: $first, after: $after) {{
  nodes {{ {CASE_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
CASE = f"query($id: ID!) {{ riskCase(id: $id) {{ {CASE_FIELDS} }} }}"
COUNT = "{ pendingRiskReviewCount }"
AUDIT = (
    "query($c: ID) { riskAudit(caseId: $c) { nodes { action actorId ruleId caseId reason before after createdAt } } }"
)
RELEASE = f"""mutation($id: ID!, $r: String!) {{ releaseRiskCase(id: $id, reason: $r) {{ case {{ {CASE_FIELDS} }} errors {{ code field }} }} }}"""
REJECT = f"""mutation($id: ID!, $r: String!) {{ rejectRiskCase(id: $id, reason: $r) {{ case {{ {CASE_FIELDS} }} errors {{ code field }} }} }}"""
