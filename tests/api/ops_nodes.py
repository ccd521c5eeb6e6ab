"""Permission-matrix rows of node and nodes: open to anyone (each type's fetcher applies
the type's own read rule, tests/api/test_nodes.py)."""

OPERATIONS: dict = {}
PUBLIC = {"node", "nodes"}
