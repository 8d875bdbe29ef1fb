"""Test-only fakes (never in the wheel): solver strategies that misbehave."""
