"""The record browser: read any topic without joining a group or committing (kcat's ``-C``).

* :mod:`.start` -- where to start (``beginning|end|OFFSET|@TIMESTAMP|-N``), resolved per partition;
* :mod:`.filters` -- ``--grep``, ``--key``, ``--header`` applied in the engine, not the UI;
* :mod:`.decode` -- a value as a kx record, pretty JSON, UTF-8 text or a hex dump;
* :mod:`.views` -- the frozen views the UI and headless print;
* :mod:`.commands` -- BrowseOpen / BrowseSeek / BrowsePause / BrowseClose;
* :mod:`.reader` -- one thread owning one assign-only consumer;
* :mod:`.browsers` -- the engine part that keeps the open browsers, and the handle callers read.

Only :mod:`.reader` imports confluent_kafka, so the UI can use the commands and views.
"""
