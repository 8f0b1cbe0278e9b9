"""Binding ids and the user's keymap.

Every binding in the dashboard carries an id (``table.cursor_down``,
``main.kill`` ...). ``keymap:`` in config.yaml maps ids to keys, e.g.
``main.kill: x`` or ``table.cursor_up: up,ctrl+k``; Textual substitutes the
keys (``App.set_keymap``). Ids nobody defines are a configuration mistake:
:func:`loaded_binding_ids` collects the ids of every binding of the classes
loaded (ours and Textual's), without starting an app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

__all__ = ["binding_ids", "loaded_binding_ids", "unknown_keymap_ids"]

_OWNERS = ("inductiva_top.", "textual.")
"""Modules whose classes' bindings a keymap may name (not a test's or a plugin's)."""


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


def _subclasses(root: type[DOMNode]) -> Iterable[type[DOMNode]]:
    stack, seen = [root], {root}
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                yield sub


def loaded_binding_ids() -> set[str]:
    """The ids of every binding of the dashboard's classes and Textual's, as imported now.

    Call it once the dashboard's modules are imported: the app module imports
    the main screen and its widgets, :func:`inductiva_top.ui.screens.load_all`
    the screens opened later.
    """
    classes: list[type[DOMNode]] = [DOMNode, *_subclasses(DOMNode)]
    return binding_ids([cls for cls in classes if cls.__module__.startswith(_OWNERS)])


def unknown_keymap_ids(keymap: Mapping[str, str], known: set[str]) -> list[str]:
    """Keymap entries whose id no binding has, sorted, for a warning."""
    return sorted(set(keymap) - known)
