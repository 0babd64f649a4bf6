"""Record and replay: a session written to one compressed file, and the explorer opened on it.

* :mod:`tui.recording.recorder` -- :class:`Recorder` samples an engine's snapshots, drains its events
  and writes them (deduplicated, as deltas, redacted, bounded); :class:`RecordingPort` wraps the port
  the explorer gets so verdicts and explanations it asks for are kept too.
* :mod:`tui.recording.reader` -- :func:`load` reads a file back (header, frames, events, scenario runs).
* :mod:`tui.recording.replay` -- :class:`ReplayEngine` implements the UI's port from a recording, on a
  clock that plays, pauses, changes speed and seeks.
* the explorer on a recording (``kafka-explorer replay FILE``, a control bar) lives with the UI, in
  :mod:`tui.ui.replay`: this package stays below it.

The file format is documented in :mod:`tui.recording.format`. Nothing here is imported by the engine;
this package imports nothing at import time (the UI parts stay out of headless commands).
"""
