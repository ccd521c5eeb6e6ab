"""A product's listing states (CAT-4): DRAFT (created, never listed) -> LISTED <-> DELISTED.

Listing and delisting by hand live in `products`, automatic delisting at zero stock and
relisting on restock in `stock`; both read these names, so they live apart from either.
"""

DRAFT, LISTED, DELISTED = "DRAFT", "LISTED", "DELISTED"
STATUSES = (DRAFT, LISTED, DELISTED)

# How a product reaches the buyer (STO-6): PHYSICAL goods are shipped or picked up; VIRTUAL and
# REDEEMABLE ones need no delivery (no address or store at checkout): a VIRTUAL order completes
# at payment, a REDEEMABLE one when it is redeemed at a store.
PHYSICAL, VIRTUAL, REDEEMABLE = "PHYSICAL", "VIRTUAL", "REDEEMABLE"
DELIVERY_KINDS = (PHYSICAL, VIRTUAL, REDEEMABLE)
