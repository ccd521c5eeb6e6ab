"""Money (FIN-1, FIN-2): the double-entry ledger every movement goes through (`ledger`) and the
user wallet and statement built on it (`wallet`).
"""
