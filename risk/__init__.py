"""Risk: option books and greeks, standing policies, the backtester, the keeper, circuit breakers."""
