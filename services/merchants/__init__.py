"""Merchants and their offline stores (MER-1..MER-3): applications and review, merchant
staff (`merchants`); stores, opening hours, pickup points and nearest-store search (`stores`).
"""
