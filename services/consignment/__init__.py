"""Consignment resale, the platform's core model (CON-1..CON-9): vouchers (`vouchers`),
wholesale units and the FIFO queue (`queue`, pure matching in `matching`), snap-up
(`snapup`), statistics and live counters (`stats`), and how consignment reacts to orders
(`hooks`).
"""
