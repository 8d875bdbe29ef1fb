"""The auction: auctioneer (collect, arbitrate, submit, round), solver node, wire, registry, rounds."""
