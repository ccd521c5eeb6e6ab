"""Scheduled work run by the worker process (OPS-3). Later features register their jobs here."""
