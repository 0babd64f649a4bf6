"""The Textual explorer. Renders engine snapshots; never imports confluent_kafka (import-linter)."""
