"""GraphiQL without a CDN: Strawberry's debug IDE page with its scripts and styles served by
this app from vendor/ (same package versions, Subresource Integrity kept), so the page works
offline and where public CDNs are blocked.

page.py rewrites the page's CDN references, assets.py serves the files, refresh.py fetches
them again from the npm registry after a Strawberry upgrade."""

from schema.graphiql.assets import route as asset_route
from schema.graphiql.page import local_page

__all__ = ["asset_route", "local_page"]
