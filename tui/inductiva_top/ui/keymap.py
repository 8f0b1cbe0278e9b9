"""Binding ids and the user's keymap.

Every binding in the dashboard carries an id (``table.cursor_down``,
``main.kill`` ...). ``keymap:`` in config.yaml maps ids to keys, e.g.
``main.kill: x`` or ``table.cursor_up: up,ctrl+k``; Textual substitutes the
keys (``App.set_keymap``). Ids nobody defines are reported, not ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

__all__ = ["binding_ids", "unknown_keymap_ids"]


def _ids(bindings: Iterable[BindingType]) -> Iterable[str]:
    for binding in bindings:
        if isinstance(binding, Binding) and binding.id:
            yield binding.id


def binding_ids(classes: Iterable[type[DOMNode]]) -> set[str]:
    """Every binding id declared by ``classes`` and their bases."""
    found: set[str] = set()
    for cls in classes:
        for base in cls.__mro__:
            bindings = base.__dict__.get("BINDINGS")
            if bindings:
                found.update(_ids(bindings))
    return found


def unknown_keymap_ids(keymap: Mapping[str, str], known: set[str]) -> list[str]:
    """Keymap entries whose id no binding has, sorted, for a warning."""
    return sorted(set(keymap) - known)
