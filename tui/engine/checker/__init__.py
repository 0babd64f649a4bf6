"""The checker: pure functions from a recorded History to a Verdict."""
