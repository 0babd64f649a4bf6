"""Producer lab: profiles, runners, the delivery ledger."""
