"""Paid partner membership (MEM-1): terms, purchase and renewal, member prices, expiry.

It sits below orders (checkout asks `is_member`); its reactions to payments and refunds
are steps wired in `wiring.py`. Regional agents (MEM-2), franchise stores (MEM-3) and gift
packs (MEM-4) earn through commissions and live in `services.distribution`.
"""
