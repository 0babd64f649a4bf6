"""``kafka-explorer serve``: the explorer in a browser through textual-serve.

* :mod:`tui.serve.guard` — the access token, its cookie, the Origin check (textual-serve has none).
* :mod:`tui.serve.server` — textual-serve's server with that guard, one explorer per connection.
* :mod:`tui.serve.sessions` — one connection's explorer process, started and ended within bounds.
* :mod:`tui.serve.child` — that process's arguments (no shell) and environment.
* :mod:`tui.serve.handoff` — the connection handed over in the environment, never the arguments.
* :mod:`tui.serve.namespace` — the per-browser prefix (``--namespace``, ``$KX_NAMESPACE``).

Importing this package is cheap: aiohttp and textual-serve load with :mod:`tui.serve.server`.
"""
