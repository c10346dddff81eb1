"""The aiohttp apps (console, device API, metrics) and their middleware."""
