"""The Textual app, the only room that imports textual.

``app.py`` builds the client, the state and the main screen from config and
holds the app-wide keys; ``screens/`` the full screens and modal dialogs;
``widgets/`` the pieces of the main screen; ``commands.py`` the command
palette's entries; ``keymap.py`` the binding ids a YAML keymap remaps; the
rest are helpers the widgets share (columns, clipboard, downloads, styles).
"""
