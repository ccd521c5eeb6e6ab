"""The business, one package per domain; see each package's docstring and docs/architecture.md.

Layers (checked by import-linter, pyproject.toml), top first: demo; distribution,
consignment, finance, risk; orders; catalog, merchants, membership; ledger, accounts; core.
A package imports only packages below it or beside it, never in a cycle. Nothing here
imports Strawberry or Starlette; `wiring.py` connects the packages.
"""
