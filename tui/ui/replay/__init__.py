"""The explorer on a recorded session: ``kafka-explorer replay FILE`` (no cluster needed)."""
