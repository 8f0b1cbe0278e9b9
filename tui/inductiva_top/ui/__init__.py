"""The Textual app, the only room that imports textual.

``app.py`` builds the client, the state and the main screen from config and
holds the app-wide keys; ``context.py`` what every screen is opened with (made
once by the app, passed on as one value); ``screens/`` the full screens and modal dialogs;
``widgets/`` the pieces of the main screen; ``commands.py`` the command
palette's entries; ``keymap.py`` the binding ids a YAML keymap remaps; the
rest are helpers the widgets share (columns, clipboard, downloads, styles).
"""
