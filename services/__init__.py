"""Business logic. Plain async functions over Tortoise models; never imports the API layer."""
