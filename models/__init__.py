"""Tortoise models, one module per domain. Listed in settings.MODEL_MODULES."""
