"""From a batch of intents to a settlement: translation, netting, clearing prices, solutions,
scoring, the solver node (`POST /solve`) and the auctioneer that runs rounds."""
