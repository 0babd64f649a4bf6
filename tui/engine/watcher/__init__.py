"""Live watcher: cluster, topics, partitions, groups, offsets and lag as snapshots and change events.

* ``watcher.Watcher`` — the ``watcher`` thread owning one AdminClient; ``view()`` gives the latest
  ``views.ClusterView``; ``handle()`` takes the commands in ``commands`` (SetInterval, WatchGroups,
  WatchTopics, ShowInternal, SetLagThreshold, RefreshNow).
* ``fetch`` — one refresh as independent, timed admin calls (stale/forbidden/unsupported per part).
* ``build`` — raw results to a frozen view, plus the history in ``series`` (ring buffers, rates).
* ``diff`` — change events from two views (pure), e.g. ``partition.isr-shrunk``, ``group.rebalanced``.
"""
