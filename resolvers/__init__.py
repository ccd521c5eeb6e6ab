"""Resolvers, one module per domain: input -> service call -> payload. No business here."""
