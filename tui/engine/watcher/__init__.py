"""Live watcher: cluster, topics, partitions, groups, offsets and lag as snapshots and change events."""
