"""The auction explorer: `keel explorer`, the rounds and intents of the stores the CLI reads, in a browser."""
