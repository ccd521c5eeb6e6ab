"""Limits shared by the catalog's modules (products, stock) and the order code that checks them."""

PRODUCTS_PERMISSION = "merchant.products"  # who may edit a merchant's products and stock
MAX_STOCK = 10**7  # units of one SKU
