"""The Qt desktop app: tray, timeline, ask, memories, settings. Talks only to `app` services."""
