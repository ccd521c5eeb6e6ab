"""What is for sale (CAT-1..CAT-5): categories, products and SKUs, zones and listing
(`products`), stock and its journal (`stock`), storefront search (`search`), banners and
content (`content`); the limits they share (`limits`).
"""
