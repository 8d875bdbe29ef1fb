"""Wiring that starts services: processes (keel up/down) and the demo."""
