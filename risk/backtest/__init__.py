"""The backtester: price paths, the vectorised hedging engine, metrics and the frontier.

It runs the very policy objects `keel watch` runs (risk.policies), takes trading costs
as a function (built from the real pools by `routing.costs`, joined in the CLI), and never
touches the chain.
"""
