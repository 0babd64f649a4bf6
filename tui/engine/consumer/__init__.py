"""Consumer lab: group members, commit strategies, the consumption log, the final drain."""
