"""Realtime: the broadcaster hub, the project-owned Redis backend, one generator per topic."""
