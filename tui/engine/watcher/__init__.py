"""Live watcher: cluster, topics, partitions, groups, offsets and lag as snapshots and change events.

* ``watcher.Watcher`` — the ``watcher`` thread owning one AdminClient (replaced when librdkafka
  loses its group coordinators); ``view()`` gives the latest ``views.ClusterView``; ``handle()``
  takes the commands in ``commands`` (SetInterval, WatchGroups, WatchTopics, ShowInternal,
  SetLagThreshold, RefreshNow).
* ``fetch`` — one refresh as independent, timed admin calls; ``raw`` — their raw results and what
  their failures mean; ``health`` — which brokers answer (down after a silence, up on an answer).
* ``schedule`` — what a refresh reads, so a big cluster costs what moves.
* ``build`` — raw results to a frozen view, incrementally, plus the history in ``series`` (ring
  buffers, rates), ``lagstatus`` (ok / lagging / stalled) and ``lagtime`` (record timestamps at the
  committed offsets, read by an assign-only consumer).
* ``diff`` — change events from two views (pure), e.g. ``partition.isr-shrunk``, ``group.rebalanced``,
  ``group.partition-stalled``.
"""
