"""Modal forms: create topic, start producer, add member, pick a strategy."""
