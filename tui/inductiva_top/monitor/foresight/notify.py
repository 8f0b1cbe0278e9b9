"""Desktop notifications through the terminal, so they reach a laptop over SSH.

The sequences, as the terminals that show them document them:

* **OSC 9** (iTerm2's; also WezTerm, Ghostty, kitty): ``ESC ] 9 ; text BEL``,
  one text. ConEmu and Windows Terminal read ``9;<digit>;`` as their own
  commands (``9;4`` is a progress bar), so the text never holds ``;`` and
  never starts with a digit.
* **OSC 777** (urxvt's ``notify`` extension; foot, WezTerm, Ghostty, VTE
  with Fedora's patch, recent Windows Terminal):
  ``ESC ] 777 ; notify ; title ; body BEL``; ``;`` separates the fields, so
  neither holds one.
* **OSC 99** (kitty's protocol, also Ghostty): a title chunk then a body
  chunk under one id, ``ESC ] 99 ; i=ID:d=0:e=1 ; base64(title) ESC \\`` and
  ``ESC ] 99 ; i=ID:d=1:p=body:e=1 ; base64(body) ESC \\``; base64 (``e=1``)
  so no text can end the sequence; kitty takes at most 2048 bytes each.
* **the bell** (BEL), which most terminals can turn into a notification.

Title and body are sanitized like every string shown
(:func:`~inductiva_top.monitor.sanitize.sanitize_name`: no escape, BEL or
other control can reach the terminal), then capped.

Inside tmux (``$TMUX`` set) a sequence reaches the outer terminal only
through tmux's passthrough (``set -g allow-passthrough on``): ``ESC P tmux ;``
then the sequence with every ESC doubled, then ``ESC \\``. The bell needs no
wrapping.

The default (``auto``) reads the environment (:func:`detect`): variables the
terminal sets, several of which survive inside tmux (``TERM_PROGRAM`` does
not: tmux sets it to ``tmux``) and ``LC_TERMINAL`` which ssh passes on by
default. With no sign of a terminal that shows notifications, the bell.

:meth:`Notifier.progress` draws the terminal's progress bar (OSC 9;4, as
ConEmu defined it: ``ESC ] 9 ; 4 ; state ; percent BEL``) for terminals known
to read it (Windows Terminal, ConEmu, Ghostty), and is empty elsewhere:
older iTerm2 would show ``4;1;50`` as a notification.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from inductiva_top.monitor.sanitize import sanitize_name

__all__ = [
    "BODY_MAX",
    "TITLE_MAX",
    "Notifier",
    "NotifyVia",
    "ProgressState",
    "detect",
    "encode",
    "progress_supported",
    "tmux_wrap",
]

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"

TITLE_MAX = 120
BODY_MAX = 480
"""Characters kept of a title and a body (UTF-8: within kitty's 2048 bytes)."""

_ID_RE = re.compile(r"[^A-Za-z0-9_+.-]")


class NotifyVia(Enum):
    """How notifications reach the terminal (the ``notify_via`` setting)."""

    AUTO = "auto"
    """Chosen from the environment (:func:`detect`)."""
    OSC9 = "osc9"
    OSC777 = "osc777"
    OSC99 = "osc99"
    BELL = "bell"
    NONE = "none"


class ProgressState(Enum):
    """The states of the OSC 9;4 progress bar."""

    REMOVE = 0
    NORMAL = 1
    ERROR = 2
    INDETERMINATE = 3
    PAUSED = 4


def _is_kitty(env: Mapping[str, str]) -> bool:
    return bool(env.get("KITTY_WINDOW_ID")) or env.get("TERM") == "xterm-kitty"


def _is_ghostty(env: Mapping[str, str]) -> bool:
    return (
        env.get("TERM_PROGRAM") == "ghostty"
        or env.get("TERM") == "xterm-ghostty"
        or bool(env.get("GHOSTTY_RESOURCES_DIR"))
    )


def _is_iterm(env: Mapping[str, str]) -> bool:
    return (
        env.get("TERM_PROGRAM") == "iTerm.app"
        or env.get("LC_TERMINAL") == "iTerm2"
        or bool(env.get("ITERM_SESSION_ID"))
    )


def _is_wezterm(env: Mapping[str, str]) -> bool:
    return env.get("TERM_PROGRAM") == "WezTerm" or bool(env.get("WEZTERM_PANE"))


def detect(env: Mapping[str, str]) -> NotifyVia:
    """The best way to notify in the terminal ``env`` describes; never ``AUTO``.

    kitty: OSC 99; iTerm2: OSC 9; WezTerm, Ghostty, foot, Windows Terminal,
    VTE and urxvt: OSC 777; anything else: the bell.
    """
    term = env.get("TERM", "")
    if _is_kitty(env):
        return NotifyVia.OSC99
    if _is_iterm(env):
        return NotifyVia.OSC9
    if (
        _is_wezterm(env)
        or _is_ghostty(env)
        or term.startswith(("foot", "rxvt-unicode"))
        or env.get("WT_SESSION")
        or env.get("VTE_VERSION")
    ):
        return NotifyVia.OSC777
    return NotifyVia.BELL


def progress_supported(env: Mapping[str, str]) -> bool:
    """Whether the terminal is known to draw OSC 9;4 progress (and not show it as text)."""
    return bool(env.get("WT_SESSION") or env.get("ConEmuPID")) or _is_ghostty(env)


def tmux_wrap(sequence: str) -> str:
    """``sequence`` wrapped for tmux's passthrough to the outer terminal."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def _field(text: str, limit: int) -> str:
    """Sanitized, capped, without the ``;`` that separates OSC 9 and 777 fields."""
    return sanitize_name(text, limit).replace(";", ",")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def encode(
    via: NotifyVia, title: str, body: str, *, tmux: bool = False, ident: str = "inductiva-top"
) -> str:
    """The text to write to the terminal to show ``title`` and ``body``.

    ``via`` must be resolved (not ``AUTO``); ``tmux`` wraps the sequence for
    passthrough; ``ident`` names the notification for OSC 99 (one with the
    same id replaces it).
    """
    if via is NotifyVia.AUTO:
        raise ValueError("resolve NotifyVia.AUTO with detect() first")
    if via is NotifyVia.NONE:
        return ""
    if via is NotifyVia.BELL:
        return BEL  # tmux passes a bell on by itself
    if via is NotifyVia.OSC9:
        text = _field(f"{title}: {body}" if title and body else title or body, TITLE_MAX + BODY_MAX)
        # A leading digit would read as a ConEmu command (9;4 is a progress bar).
        sequence = f"{ESC}]9;{' ' + text if text[:1].isdigit() else text}{BEL}"
    elif via is NotifyVia.OSC777:
        sequence = f"{ESC}]777;notify;{_field(title, TITLE_MAX)};{_field(body, BODY_MAX)}{BEL}"
    else:
        name = _ID_RE.sub("", ident) or "1"
        sequence = (
            f"{ESC}]99;i={name}:d=0:e=1;{_b64(sanitize_name(title, TITLE_MAX))}{ST}"
            f"{ESC}]99;i={name}:d=1:p=body:e=1;{_b64(sanitize_name(body, BODY_MAX))}{ST}"
        )
    return tmux_wrap(sequence) if tmux else sequence


@dataclass(frozen=True)
class Notifier:
    """How this dashboard notifies: chosen once from the setting and the environment."""

    via: NotifyVia
    """Resolved: never ``AUTO``."""
    tmux: bool = False
    """Wrap sequences for tmux's passthrough."""
    progress_bar: bool = False
    """The terminal draws OSC 9;4 progress."""

    @classmethod
    def choose(cls, via: NotifyVia, env: Mapping[str, str]) -> Notifier:
        """The notifier for the ``notify_via`` setting in the terminal ``env`` describes."""
        chosen = detect(env) if via is NotifyVia.AUTO else via
        return cls(chosen, bool(env.get("TMUX")), progress_supported(env))

    def notification(self, title: str, body: str, *, ident: str = "inductiva-top") -> str:
        """The text to write for one notification ("" for ``none``)."""
        return encode(self.via, title, body, tmux=self.tmux, ident=ident)

    def progress(self, percent: float | None, state: ProgressState = ProgressState.NORMAL) -> str:
        """The terminal's progress bar at ``percent`` (``None`` removes it); "" if unsupported."""
        if not self.progress_bar or self.via is NotifyVia.NONE:
            return ""
        if percent is None or state is ProgressState.REMOVE:
            sequence = f"{ESC}]9;4;0;0{BEL}"
        else:
            shown = round(min(100.0, max(0.0, percent)))
            sequence = f"{ESC}]9;4;{state.value};{shown}{BEL}"
        return tmux_wrap(sequence) if self.tmux else sequence
