"""GraphQL documents for settlement statements and finance reports (FIN-4, FIN-5), and their
permission-matrix rows: statements are read by their merchant's finance staff (signed in;
the service checks the merchant), every merchant's by settlement.manage; approval needs
settlement.manage, reports report.read."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "settlementStatements"): "{ settlementStatements { nodes { id } } }",
    ("Query", "settlementStatement"): '{ settlementStatement(id: "999999") { id } }',
    (
        "Query",
        "financeReport",
    ): '{ financeReport(kind: REVENUE, period: DAY, from: "2026-01-01", to: "2026-01-02") { columns } }',
    (
        "Mutation",
        "approveSettlementStatement",
    ): 'mutation { approveSettlementStatement(id: "999999") { errors { code } } }',
}

STATEMENT_FIELDS = """id merchantId merchantName periodStart periodEnd status entryCount paidGoods { amount } refunds { amount }
  commissionCharged { amount } commissionReturned { amount } platformCommission { amount } distributionBooked { amount }
  distributionReversed { amount } consignment { amount } other { amount } netPayable { amount } approvedAt transactionId"""

STATEMENTS = (
    """query($m: ID, $s: StatementStatus, $first: Int) { settlementStatements(merchantId: $m, status: $s, first: $first) {
  nodes { %s } pageInfo { hasNextPage endCursor } } }"""
    % STATEMENT_FIELDS
)

STATEMENT = (
    """query($id: ID!, $first: Int, $after: String) { settlementStatement(id: $id) { %s
  lines(first: $first, after: $after) { nodes { orderId orderNo paidGoods { amount } refunds { amount }
    platformCommission { amount } distribution { amount } consignment { amount } netPayable { amount } }
    pageInfo { hasNextPage endCursor } } } }"""
    % STATEMENT_FIELDS
)

APPROVE = """mutation($id: ID!) { approveSettlementStatement(id: $id) { statement { id status transactionId netPayable { amount } }
  errors { code field } } }"""

REPORT = """query($k: FinanceReportKind!, $p: StatsPeriod!, $from: Date!, $to: Date!) {
  financeReport(kind: $k, period: $p, from: $from, to: $to) { kind period start end columns
    buckets { start end figures { name amount { amount } } } totals { name amount { amount } } } }"""
