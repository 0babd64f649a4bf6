"""Non-interactive forms of every job, printing human lines or JSON lines (``--json``).

Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int`` and keeps heavy
imports inside ``run`` so ``--help`` stays fast.
"""
