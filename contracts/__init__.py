"""The chain's edge: Solidity sources and their compile step, npm artifacts, anvil, the world.

Knows nothing above it: no intents, no solver, no routing.
"""
