"""What users sign and own: intents, their EIP-712 type, signing, books, greeks, the orderbook."""
