"""Strawberry's GraphiQL page, pointed at the vendored files instead of unpkg.com."""

from __future__ import annotations

import re
from dataclasses import dataclass

from schema.graphiql.assets import URL_PREFIX, load_manifest

CDN = "https://unpkg.com/"

# src="https://unpkg.com/<package>@<version>/<file>" followed by its integrity attribute
_REFERENCE = re.compile(
    r'(?P<attr>src|href)="https://unpkg\.com/(?P<path>(?P<package>(?:@[^/@"]+/)?[^/@"]+)@(?P<version>[^/"]+)/(?P<file>[^"]+))"'
    r'(?P<space>\s+)integrity="(?P<integrity>[^"]*)"'
)


@dataclass(frozen=True)
class Reference:
    """One CDN file the page loads: `path` is <package>@<version>/<file>, as on unpkg.com."""

    package: str
    version: str
    file: str
    integrity: str

    @property
    def path(self) -> str:
        return f"{self.package}@{self.version}/{self.file}"


def references(html: str) -> list[Reference]:
    return [Reference(m["package"], m["version"], m["file"], m["integrity"]) for m in _REFERENCE.finditer(html)]


def local_page(html: str, integrity: dict[str, str] | None = None) -> str:
    """`html` with every unpkg.com reference served from URL_PREFIX and its integrity taken from
    the manifest. Raises when the page needs a file that is not vendored (Strawberry upgraded:
    run `python -m schema.graphiql.refresh`) or loads anything else from the CDN."""
    integrity = load_manifest() if integrity is None else integrity

    def local(match: re.Match[str]) -> str:
        path = match["path"]
        if path not in integrity:
            raise LookupError(f"GraphiQL file {path} is not vendored: run python -m schema.graphiql.refresh")
        return f'{match["attr"]}="{URL_PREFIX}{path}"{match["space"]}integrity="{integrity[path]}"'

    page = _REFERENCE.sub(local, html)
    if CDN in page:
        raise LookupError(f"GraphiQL page still loads from {CDN} (a reference without integrity?)")
    return page
