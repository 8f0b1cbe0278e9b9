"""``?``: every key of the screen underneath, generated from its live bindings.

Nothing here lists keys by hand. :func:`help_sections` walks the screen,
every widget on it and the app, reads each node's bindings as Textual holds
them (so a ``keymap:`` from config.yaml shows as remapped), and sorts them
into sections:

1. the screen's own sections, when it names them (``HELP_SECTIONS``: title
   -> binding ids, e.g. the main screen's Navigate, Filter and sort, Act on
   tasks, Panes), in that order;
2. one section per other part of the screen that has keys of its own (the
   output pane, the files pane...);
3. ``Everywhere``: the app's keys (help, quit, theme, palette);
4. last and folded into one paragraph, the scrolling and focus keys every
   Textual widget has, which say nothing about this dashboard.

Keys whose action is switched off right now (kill in read-only mode, say)
are listed dimmed.
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

__all__ = ["GENERIC", "HelpKey", "HelpScreen", "HelpSection", "help_sections"]

EVERYWHERE = "Everywhere"
GENERIC = "Scrolling and focus"
"""The title of the last section: the keys every Textual widget has."""

_OURS = "inductiva_top."


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
    folded: bool = False
    """Shown as one paragraph rather than a line per key."""


def _title(node: DOMNode) -> str:
    explicit = getattr(type(node), "HELP_GROUP", None)
    if isinstance(explicit, str):
        return explicit
    if isinstance(node, App):
        return EVERYWHERE
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
        return binding.description[:1].upper() + binding.description[1:]
    name = binding.action.split("(", 1)[0].rsplit(".", 1)[-1]
    return name.replace("_", " ").capitalize()


def _own_actions(node: DOMNode) -> set[str]:
    """Actions bound by the dashboard's own classes of ``node`` (not inherited from Textual's)."""
    actions: set[str] = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith(_OURS):
            for binding in cls.__dict__.get("BINDINGS", ()):
                actions.add(binding.action if isinstance(binding, Binding) else binding[1])
    return actions


@dataclass(frozen=True)
class _Found:
    key: HelpKey
    binding_id: str | None
    generic: bool


def _live_keys(node: DOMNode, keymap: Mapping[str, str]) -> dict[str, list[Binding]]:
    """The node's live bindings by key, remapped the way Textual remaps them for each key press."""
    live = node._bindings.copy()
    if keymap:
        live.apply_keymap(dict(keymap))
    return {key: list(bindings) for key, bindings in live.key_to_bindings.items()}


def _node_keys(
    app: App[object],
    node: DOMNode,
    keymap: Mapping[str, str],
    shadowed: frozenset[str] = frozenset(),
) -> list[_Found]:
    """``node``'s keys, but not those in ``shadowed`` (bound closer to the focus)."""
    by_action: dict[str, list[Binding]] = {}
    for pressed, bindings in _live_keys(node, keymap).items():
        for binding in bindings:
            if binding.system or pressed in shadowed:
                continue
            by_action.setdefault(binding.action, []).append(binding)
    # The app's keys are all "everywhere" keys, Textual's (ctrl+q, ctrl+p) included.
    ours = None if isinstance(node, App) else _own_actions(node)
    found: list[_Found] = []
    for action, bindings in by_action.items():
        # The dashboard's keys (they carry ids) before Textual's for the same action.
        bindings.sort(key=lambda binding: binding.id is None)
        shown = " ".join(dict.fromkeys(app.get_key_display(b) for b in bindings))
        first = bindings[0]
        key = HelpKey(shown, _description(first), _enabled(node, first))
        found.append(_Found(key, first.id, generic=ours is not None and action not in ours))
    return found


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
    """The keys of ``screen``, its widgets and the app, in sections (see the module's doc).

    ``keymap`` is the binding id -> keys map the app runs with (config's ``keymap:``).
    """
    named: Mapping[str, tuple[str, ...]] = getattr(screen, "HELP_SECTIONS", {})
    place = {
        binding_id: (title, order)
        for title, ids in named.items()
        for order, binding_id in enumerate(ids)
    }
    ranked: dict[str, list[tuple[int, HelpKey]]] = {title: [] for title in named}
    parts: dict[str, list[HelpKey]] = {}
    generic: list[HelpKey] = []
    # A key the screen binds never reaches the app (``q`` goes back on a pushed screen).
    taken: set[str] = set()
    for node in _nodes(screen):
        shadowed = frozenset(taken) if isinstance(node, App) else frozenset()
        taken.update(_live_keys(node, keymap or {}))
        for found in _node_keys(screen.app, node, keymap or {}, shadowed):
            if found.binding_id in place:
                title, order = place[found.binding_id]
                ranked[title].append((order, found.key))
            elif found.generic:
                generic.append(found.key)
            else:
                parts.setdefault(_title(node), []).append(found.key)
    everywhere = parts.pop(EVERYWHERE, [])
    sections = [
        HelpSection(title, tuple(key for _, key in sorted(keys, key=lambda pair: pair[0])))
        for title, keys in ranked.items()
    ]
    sections += [HelpSection(title, tuple(keys)) for title, keys in parts.items()]
    sections.append(HelpSection(EVERYWHERE, tuple(everywhere)))
    sections.append(HelpSection(GENERIC, tuple(generic), folded=True))
    return _once(sections)


def _once(sections: list[HelpSection]) -> list[HelpSection]:
    """Each key listed once, where it comes first (``o`` bound on the screen and on the pane)."""
    seen: set[tuple[str, str]] = set()
    kept: list[HelpSection] = []
    for section in sections:
        keys: list[HelpKey] = []
        for key in section.keys:
            if (key.keys, key.description) not in seen:
                seen.add((key.keys, key.description))
                keys.append(key)
        if keys:
            kept.append(HelpSection(section.title, tuple(keys), section.folded))
    return kept


def _render(section: HelpSection, key_width: int) -> Text:
    text = Text(no_wrap=False)
    if section.folded:
        for index, key in enumerate(section.keys):
            if index:
                text.append(" · ", style="dim")
            text.append(key.keys, style="bold")
            text.append(f" {key.description.lower()}")
        return text
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
    HelpScreen { background: $background; }
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

    def show_sections(self, sections: list[HelpSection]) -> None:
        """Show ``sections`` (some keys switched on or off since): rebuilt only if changed."""
        if sections != self.sections:
            self.sections = sections
            self.refresh(recompose=True)

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
