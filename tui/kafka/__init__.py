"""Kafka access, the ground floor under both the engine and the lab.

* :mod:`tui.kafka.clients` -- the one place that builds librdkafka clients;
* :mod:`tui.kafka.admin` -- one-shot admin calls (a client created, used and dropped by the caller's
  thread, with a timeout);
* :mod:`tui.kafka.errors` -- a Kafka exception as its text;
* :mod:`tui.kafka.connection` -- where to connect (:class:`Connection`);
* :mod:`tui.kafka.properties`, :mod:`tui.kafka.explain`, :mod:`tui.kafka.probe` -- librdkafka property
  checks, client errors as one sentence, and trying a connection;
* :mod:`tui.kafka.gc_keeper` -- cyclic garbage (clients included) collected on a thread of our own.

It imports only the basics (vocabulary, redaction, paths, safe text, the user-error base) and
confluent_kafka: never the engine, the lab, scenarios or the UI (an import-linter contract says so).
Submodules are imported by name; this package imports none of them, so importing it is cheap.
"""
