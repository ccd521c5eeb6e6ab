"""Risk control (RISK-1, RISK-2): rules as data (`rules`), evaluation on payment and
refund, review cases that hold money (`control`), and the seams to the features whose
money it holds (`hooks`).
"""
