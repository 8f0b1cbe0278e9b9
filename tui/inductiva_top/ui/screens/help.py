"""``?``: every key of the screen underneath, generated from its live bindings.

Nothing here lists keys by hand. :func:`help_sections` walks the app, the
screen and every widget on it, reads each node's bindings as Textual holds
them (so a ``keymap:`` from config.yaml shows as remapped), and groups them
by where they act. Keys whose action is switched off right now (kill in
read-only mode, say) are listed dimmed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Label, Static

__all__ = ["HelpKey", "HelpScreen", "HelpSection", "help_sections"]


@dataclass(frozen=True)
class HelpKey:
    """One action and the keys that run it."""

    keys: str
    description: str
    enabled: bool


@dataclass(frozen=True)
class HelpSection:
    """The keys of one part of the screen."""

    title: str
    keys: tuple[HelpKey, ...]


def _title(node: DOMNode) -> str:
    explicit = getattr(type(node), "HELP_GROUP", None)
    if isinstance(explicit, str):
        return explicit
    if isinstance(node, App):
        return "Everywhere"
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", type(node).__name__)
    return " ".join(words).capitalize() if words else type(node).__name__


def _enabled(node: DOMNode, binding: Binding) -> bool:
    try:
        _, name, parameters = parse_action(binding.action)
        state = node.check_action(name, parameters)
    except Exception:  # a malformed action string is the binding's bug, not help's
        return True
    return state is True


def _description(binding: Binding) -> str:
    if binding.description:
        return binding.description
    name = binding.action.split("(", 1)[0].rsplit(".", 1)[-1]
    return name.replace("_", " ").capitalize()


def _node_keys(app: App[object], node: DOMNode, keymap: Mapping[str, str]) -> tuple[HelpKey, ...]:
    # The node's live bindings, remapped the way Textual remaps them for each key press.
    live = node._bindings.copy()
    if keymap:
        live.apply_keymap(dict(keymap))
    by_action: dict[str, list[Binding]] = {}
    for bindings in live.key_to_bindings.values():
        for binding in bindings:
            if binding.system:
                continue
            by_action.setdefault(binding.action, []).append(binding)
    keys: list[HelpKey] = []
    for bindings in by_action.values():
        shown = " ".join(dict.fromkeys(app.get_key_display(b) for b in bindings))
        first = bindings[0]
        keys.append(HelpKey(shown, _description(first), _enabled(node, first)))
    return tuple(keys)


def _shown(node: DOMNode) -> bool:
    return all(n.display for n in node.ancestors_with_self if isinstance(n, Widget))


def _nodes(screen: Screen[object]) -> Iterable[DOMNode]:
    yield screen
    # Hidden widgets (the closed search box, a tab not shown) take no keys now.
    yield from (node for node in screen.walk_children() if _shown(node))
    yield screen.app


def help_sections(
    screen: Screen[object], keymap: Mapping[str, str] | None = None
) -> list[HelpSection]:
    """The keys of ``screen``, its widgets and the app, one section per part.

    ``keymap`` is the binding id -> keys map the app runs with (config's ``keymap:``).
    """
    sections: dict[str, list[HelpKey]] = {}
    for node in _nodes(screen):
        keys = _node_keys(screen.app, node, keymap or {})
        if keys:
            group = sections.setdefault(_title(node), [])
            seen = {(k.keys, k.description) for k in group}
            group.extend(k for k in keys if (k.keys, k.description) not in seen)
    return [HelpSection(title, tuple(keys)) for title, keys in sections.items()]


def _render(section: HelpSection, key_width: int) -> Text:
    text = Text(no_wrap=False)
    for index, key in enumerate(section.keys):
        if index:
            text.append("\n")
        style = "" if key.enabled else "dim"
        text.append(key.keys.ljust(key_width), style=f"bold {style}".strip())
        text.append("  ")
        text.append(key.description, style=style)
        if not key.enabled:
            text.append("  (not now)", style="dim italic")
    return text


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened over; any of Esc, ``?``, ``q`` closes it."""

    DEFAULT_CSS = """
    #help-dialog {
        width: 76; max-width: 100%; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #help-dialog .dialog-title { margin-bottom: 0; }
    #help-body { height: 1fr; }
    HelpScreen .help-title { margin-top: 1; color: $text-primary; }
    HelpScreen .help-keys { height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, sections: list[HelpSection]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        width = max((len(k.keys) for s in self.sections for k in s.keys), default=4)
        with Vertical(id="help-dialog"):
            yield Label(Text("Keys", style="bold"), classes="dialog-title")
            with VerticalScroll(id="help-body"):
                for section in self.sections:
                    yield Label(Text(section.title, style="bold underline"), classes="help-title")
                    yield Static(_render(section, min(width, 24)), classes="help-keys")
            yield Label("Esc closes · ctrl+p: every command", classes="dialog-note")

    def action_close(self) -> None:
        self.dismiss(None)
