"""The orderbook: the service that holds signed intents (aiohttp API, sqlite store, client)."""
