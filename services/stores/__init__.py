"""Offline store operations (STO-1..STO-6): what is sold, paid and redeemed at a store itself.

payments: in-store payment by the store's payment QR code (STO-1), receipts, staff refunds
and the store's live feed (events).
"""
