"""The Browse screen and the browse-and-fix dialogs.

* :mod:`.pane` -- :class:`BrowsePane`: a table of records read by the engine's record browser
  (never joining a group, never committing), a detail panel with the decoded record, keys to open,
  seek, filter, follow and pause;
* :mod:`.forms` -- the open / seek / filter forms;
* :mod:`.dialogs` -- the group offset reset dialog (plan first, then execute), type-the-name
  confirmation for deletes, and a topic's configs with an alter line;
* :mod:`.render` -- records as table cells and detail text (every untrusted byte escaped);
* :mod:`.keys` -- the screen's commands (the registry lists them too) and :class:`BrowseWanted`.
"""
