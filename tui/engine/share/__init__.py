"""Share groups (KIP-932, "queues for Kafka"): share members, their acknowledgements, and the group.

* :mod:`.commands` -- the share member's spec and the commands (target ``shares``; group settings on
  the metadata thread, target ``share-admin``);
* :mod:`.member_main` -- one share member in a child process (``python -m tui.engine.share.member_main``);
* :mod:`.runner` -- the parent's thread per member process: its frames into the consumption log;
* :mod:`.members` -- :class:`~.members.ShareMembers`, the engine part that owns them;
* :mod:`.group_config` -- ``share.*`` group configs through the admin API on the group resource;
* :mod:`.tool` -- Kafka's own ShareGroupCommand (state, members, start offsets), run sparingly;
* :mod:`.views` -- the frozen :class:`~.views.ShareMembersView` in the engine's snapshot.

Nothing here imports the whole engine: a member process imports only what it runs.
"""
