"""GraphQL documents for the wallet statement and withdrawals (FIN-2, FIN-3), and their
permission-matrix rows: a user's own wallet and withdrawals need only a sign-in (owned
objects are looked up by owner); merchant withdrawals need merchant.finance on that
merchant (checked by the service); review needs withdrawal.manage."""

PUBLIC: set[str] = set()

WITHDRAWAL_FIELDS = """id owner merchantId status channel amount { amount } fee { amount } net { amount }
  destination { kind bankName holderName account } transferReference rejectReason failureReason reviewedAt paidAt"""

WALLET = """{ myWallet { available { amount } frozen { amount } commissionPending { amount } commissionAvailable { amount }
  commissionDebt { amount } consignmentPending { amount } } }"""
STATEMENT = """query($kind: [StatementKind!], $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  myStatement(kind: $kind, from: $from, to: $to, first: $first, after: $after) {
    nodes { id amount { amount currency } account balanceAfter { amount } createdAt kind kindCode referenceType referenceId memo }
    pageInfo { hasNextPage endCursor } } }"""
REQUEST = f"""mutation($input: WithdrawalInput!) {{ requestWithdrawal(input: $input) {{
  withdrawal {{ {WITHDRAWAL_FIELDS} }} errors {{ code field }} }} }}"""
REQUEST_MERCHANT = f"""mutation($m: ID!, $input: WithdrawalInput!) {{ requestMerchantWithdrawal(merchantId: $m, input: $input) {{
  withdrawal {{ {WITHDRAWAL_FIELDS} }} errors {{ code field }} }} }}"""
APPROVE = f"""mutation($id: ID!, $channel: String) {{ approveWithdrawal(id: $id, channel: $channel) {{
  withdrawal {{ {WITHDRAWAL_FIELDS} }} errors {{ code field }} }} }}"""
REJECT = f"""mutation($id: ID!, $reason: String!) {{ rejectWithdrawal(id: $id, reason: $reason) {{
  withdrawal {{ {WITHDRAWAL_FIELDS} }} errors {{ code field }} }} }}"""
MARK_PAID = f"""mutation($id: ID!, $ref: String!) {{ markWithdrawalPaid(id: $id, transferReference: $ref) {{
  withdrawal {{ {WITHDRAWAL_FIELDS} }} errors {{ code field }} }} }}"""
MARK_FAILED = f"""mutation($id: ID!, $reason: String!) {{ markWithdrawalFailed(id: $id, reason: $reason) {{
  withdrawal {{ {WITHDRAWAL_FIELDS} }} errors {{ code field }} }} }}"""
MINE = (
    f"""query($status: WithdrawalStatus) {{ myWithdrawals(status: $status) {{ nodes {{ {WITHDRAWAL_FIELDS} }} }} }}"""
)
MY_ONE = f"""query($id: ID!) {{ myWithdrawal(id: $id) {{ {WITHDRAWAL_FIELDS} }} }}"""
MERCHANT_LIST = f"""query($m: ID!, $status: WithdrawalStatus) {{ merchantWithdrawals(merchantId: $m, status: $status) {{
  nodes {{ {WITHDRAWAL_FIELDS} }} }} }}"""
MERCHANT_FUNDS = """query($m: ID!) { merchantFunds(merchantId: $m) { settled { amount } frozen { amount } } }"""
ADMIN_LIST = (
    f"""query($status: WithdrawalStatus) {{ withdrawals(status: $status) {{ nodes {{ {WITHDRAWAL_FIELDS} }} }} }}"""
)
SANDBOX_RESULT = f"""mutation($id: ID!, $ok: Boolean!, $reason: String) {{ sandboxPayoutResult(id: $id, succeeded: $ok, reason: $reason) {{
  withdrawal {{ {WITHDRAWAL_FIELDS} }} errors {{ code field }} }} }}"""
RULES = "{ withdrawalRules { minAmount { amount } feeBasisPoints minFee { amount } dailyCount dailyAmount { amount } identityRequired } }"
QUOTE = "query($a: Amount!) { withdrawalQuote(amount: $a) { amount { amount } fee { amount } net { amount } } }"
MY_EVENTS = f"subscription {{ myWithdrawalEvents {{ fromStatus status withdrawal {{ {WITHDRAWAL_FIELDS} }} }} }}"
MERCHANT_EVENTS = (
    "subscription($m: ID!) { merchantWithdrawalEvents(merchantId: $m) { fromStatus status withdrawal { id status } } }"
)

_INPUT = '{amount: "0", idempotencyKey: "k", destination: {kind: BANK, holderName: "张三", accountNo: "x"}}'  # refused: changes nothing

OPERATIONS = {
    ("Query", "myStatement"): "{ myStatement { nodes { id } } }",
    ("Query", "withdrawalRules"): "{ withdrawalRules { feeBasisPoints } }",
    ("Query", "withdrawalQuote"): '{ withdrawalQuote(amount: "100.00") { fee { amount } } }',
    ("Query", "myWithdrawals"): "{ myWithdrawals { nodes { id } } }",
    ("Query", "myWithdrawal"): '{ myWithdrawal(id: "999999") { id } }',
    ("Query", "merchantWithdrawals"): '{ merchantWithdrawals(merchantId: "999999") { nodes { id } } }',
    ("Query", "merchantFunds"): '{ merchantFunds(merchantId: "999999") { settled { amount } } }',
    ("Query", "withdrawals"): "{ withdrawals { nodes { id } } }",
    ("Mutation", "requestWithdrawal"): f"mutation {{ requestWithdrawal(input: {_INPUT}) {{ errors {{ code }} }} }}",
    (
        "Mutation",
        "requestMerchantWithdrawal",
    ): f'mutation {{ requestMerchantWithdrawal(merchantId: "999999", input: {_INPUT}) {{ errors {{ code }} }} }}',
    ("Mutation", "approveWithdrawal"): 'mutation { approveWithdrawal(id: "999999") { errors { code } } }',
    ("Mutation", "rejectWithdrawal"): 'mutation { rejectWithdrawal(id: "999999", reason: "x") { errors { code } } }',
    (
        "Mutation",
        "markWithdrawalPaid",
    ): 'mutation { markWithdrawalPaid(id: "999999", transferReference: "x") { errors { code } } }',
    (
        "Mutation",
        "markWithdrawalFailed",
    ): 'mutation { markWithdrawalFailed(id: "999999", reason: "x") { errors { code } } }',
    (
        "Mutation",
        "sandboxPayoutResult",
    ): 'mutation { sandboxPayoutResult(id: "999999", succeeded: true) { errors { code } } }',
    ("Subscription", "myWithdrawalEvents"): None,
    ("Subscription", "merchantWithdrawalEvents"): None,
}
