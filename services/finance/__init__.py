"""Money leaving and being accounted for (FIN-3..FIN-5): withdrawals and their payout
channels (`withdrawals`, `payouts`), merchant settlement statements (`settlement`), finance
reports (`reports`) and CSV exports (`csv_export`).
"""
