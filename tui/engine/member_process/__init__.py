"""What the group members (:mod:`tui.engine.consumer`) and the share members (:mod:`tui.engine.share`)
have in common: one child process per member incarnation, driven over its pipes.

- :mod:`.runner`: the parent's side of one process (start, control lines, leave, kill, the reading loop).
- :mod:`.roster`: the bookkeeping of a set of members (names, lookups, restarts, closing down).
- :mod:`.child`: the child's side (init and control lines on stdin, frames on stdout, logs, exit).
- :mod:`.spec`: checks and wire form shared by the member specifications.

Nothing is imported here, so the child process loads only :mod:`.child`.
"""
