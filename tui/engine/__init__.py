"""The headless Kafka engine: runners that own clients, a ledger, a checker, snapshots and events.

Never imports Textual, Rich or ``tui.ui``.
"""
