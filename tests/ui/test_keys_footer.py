"""The footer is rebuilt only when its keys change, and its keys mount in its style (issue 16).

Textual's footer rebuilt every key at each refresh of the screen's bindings
and restyled each key twice as it mounted: about a tenth of the dashboard's
launch. These tests count rebuilds and restyles, not time.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from inductiva_top.ui.widgets.footer import KeysFooter


class CountingFooter(KeysFooter):
    composed = 0

    def compose(self) -> ComposeResult:
        self.composed += 1
        yield from super().compose()


class KeysScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "alpha", "Alpha"),
        Binding("b", "beta", "Beta"),
    ]

    alpha_allowed = True
    beta_allowed = True

    def compose(self) -> ComposeResult:
        yield CountingFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # None: shown, but disabled.
        allowed = {"alpha": self.alpha_allowed, "beta": self.beta_allowed}.get(action, True)
        return True if allowed else None

    def action_alpha(self) -> None:
        pass

    def action_beta(self) -> None:
        pass


class KeysApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.restyled: list[DOMNode] = []

    def on_mount(self) -> None:
        self.push_screen(KeysScreen())

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        self.restyled.append(node)
        super().update_styles(node, animate)


def _keys(app: App[Any]) -> list[FooterKey]:
    return list(app.screen.query_one(KeysFooter).query(FooterKey))


def _disabled(app: App[Any]) -> dict[str, bool]:
    """Whether each key of the footer is drawn disabled, by key."""
    return {key.key: key.has_class("-disabled") for key in _keys(app)}


def _screen(app: App[Any]) -> KeysScreen:
    screen = app.screen
    assert isinstance(screen, KeysScreen)
    return screen


async def test_a_refresh_of_the_same_keys_leaves_the_footer_as_it_was() -> None:
    app = KeysApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        before = _keys(app)
        assert [key.key for key in before] == ["a", "b", "ctrl+p"]
        app.screen.refresh_bindings()
        await pilot.pause()
        assert _keys(app) == before  # the same widgets: not rebuilt


async def test_a_key_switched_off_is_redrawn() -> None:
    app = KeysApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = _screen(app)
        screen.beta_allowed = False
        screen.refresh_bindings()
        await pilot.pause()
        assert _disabled(app) == {"a": False, "b": True, "ctrl+p": False}


async def test_several_changes_before_a_redraw_rebuild_the_footer_once() -> None:
    app = KeysApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = _screen(app)
        footer = screen.query_one(CountingFooter)
        before = footer.composed

        def two_changes() -> None:
            """Two refreshes of the bindings, each with news, before the footer is drawn."""
            screen.beta_allowed = False
            footer.bindings_changed(screen)
            screen.alpha_allowed = False
            footer.bindings_changed(screen)

        footer.call_later(two_changes)  # on the footer, whose rebuild composes in its context
        await pilot.pause()
        assert footer.composed == before + 1
        assert _disabled(app) == {"a": True, "b": True, "ctrl+p": False}


@pytest.mark.parametrize("compact", [False, True])
async def test_keys_mount_in_the_footers_style_without_a_restyle(compact: bool) -> None:
    app = KeysApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeysFooter)
        footer.compact = compact
        await pilot.pause()
        app.restyled.clear()
        footer.refresh(recompose=True)
        await pilot.pause()
        keys = _keys(app)
        # The palette's key (last) is compact whatever the footer, as Textual draws it.
        assert [key.has_class("-compact") for key in keys] == [compact, compact, True]
        assert [key.compact for key in keys] == [compact, compact, True]
        assert not [node for node in app.restyled if isinstance(node, FooterKey)]
