"""A product's listing states (CAT-4): DRAFT (created, never listed) -> LISTED <-> DELISTED.

Listing and delisting by hand live in `products`, automatic delisting at zero stock and
relisting on restock in `stock`; both read these names, so they live apart from either.
"""

DRAFT, LISTED, DELISTED = "DRAFT", "LISTED", "DELISTED"
STATUSES = (DRAFT, LISTED, DELISTED)
