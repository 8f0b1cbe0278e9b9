"""Desktop notifications through the terminal: exact bytes, with and without tmux."""

from __future__ import annotations

import base64

import pytest

from inductiva_top.monitor.foresight.notify import (
    BODY_MAX,
    Notifier,
    NotifyVia,
    ProgressState,
    detect,
    encode,
    tmux_wrap,
)

TITLE = "inductiva-top"
BODY = "task abc123 failed"


def b64(text: str) -> bytes:
    return base64.b64encode(text.encode()).decode().encode()


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        (NotifyVia.OSC9, b"\x1b]9;inductiva-top: task abc123 failed\x07"),
        (NotifyVia.OSC777, b"\x1b]777;notify;inductiva-top;task abc123 failed\x07"),
        (
            NotifyVia.OSC99,
            b"\x1b]99;i=inductiva-top:d=0:e=1;" + b64(TITLE) + b"\x1b\\"
            b"\x1b]99;i=inductiva-top:d=1:p=body:e=1;" + b64(BODY) + b"\x1b\\",
        ),
        (NotifyVia.BELL, b"\x07"),
        (NotifyVia.NONE, b""),
    ],
)
def test_exact_bytes(via: NotifyVia, expected: bytes) -> None:
    assert encode(via, TITLE, BODY).encode() == expected


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        (
            NotifyVia.OSC9,
            b"\x1bPtmux;\x1b\x1b]9;inductiva-top: task abc123 failed\x07\x1b\\",
        ),
        (
            NotifyVia.OSC777,
            b"\x1bPtmux;\x1b\x1b]777;notify;inductiva-top;task abc123 failed\x07\x1b\\",
        ),
        (
            NotifyVia.OSC99,
            b"\x1bPtmux;"
            b"\x1b\x1b]99;i=inductiva-top:d=0:e=1;" + b64(TITLE) + b"\x1b\x1b\\"
            b"\x1b\x1b]99;i=inductiva-top:d=1:p=body:e=1;" + b64(BODY) + b"\x1b\x1b\\"
            b"\x1b\\",
        ),
        (NotifyVia.BELL, b"\x07"),  # tmux passes a bell on by itself
    ],
)
def test_exact_bytes_in_tmux(via: NotifyVia, expected: bytes) -> None:
    assert encode(via, TITLE, BODY, tmux=True).encode() == expected


def test_nothing_in_the_text_can_end_or_start_a_sequence() -> None:
    hostile = "a;b\x07c\x1b\\d\x1b]52;c;eA==\x07e\x9cf\ng\u202eh"
    for via in (NotifyVia.OSC9, NotifyVia.OSC777):
        sequence = encode(via, hostile, hostile)
        inner = sequence[len("\x1b]") : -1]
        assert "\x07" not in inner and "\x1b" not in inner and "\x9c" not in inner
        assert inner.count(";") == (1 if via is NotifyVia.OSC9 else 3)
    assert encode(NotifyVia.OSC777, hostile, "x") == "\x1b]777;notify;a,bcdef gh;x\x07"
    kitty = encode(NotifyVia.OSC99, hostile, hostile)
    payload = kitty.split(";", 2)[2].split("\x1b\\")[0]
    assert base64.b64decode(payload).decode() == "a;bcdef gh"


def test_osc9_text_never_reads_as_a_conemu_command() -> None:
    assert encode(NotifyVia.OSC9, "", "4;1;50") == "\x1b]9; 4,1,50\x07"


def test_text_is_capped() -> None:
    sequence = encode(NotifyVia.OSC777, "t", "x" * 5000)
    assert len(sequence) < BODY_MAX + 40


def test_the_kitty_id_keeps_only_what_the_protocol_allows() -> None:
    assert encode(NotifyVia.OSC99, "t", "b", ident="a:b;c=d").startswith("\x1b]99;i=abcd:d=0")


def test_auto_must_be_resolved_first() -> None:
    with pytest.raises(ValueError, match="detect"):
        encode(NotifyVia.AUTO, TITLE, BODY)


@pytest.mark.parametrize(
    ("env", "via"),
    [
        ({"KITTY_WINDOW_ID": "1", "TERM_PROGRAM": "tmux"}, NotifyVia.OSC99),
        ({"TERM": "xterm-kitty"}, NotifyVia.OSC99),
        ({"TERM_PROGRAM": "iTerm.app"}, NotifyVia.OSC9),
        ({"LC_TERMINAL": "iTerm2", "TERM": "xterm-256color"}, NotifyVia.OSC9),
        ({"TERM_PROGRAM": "WezTerm"}, NotifyVia.OSC777),
        ({"WEZTERM_PANE": "3", "TERM_PROGRAM": "tmux"}, NotifyVia.OSC777),
        ({"TERM": "xterm-ghostty"}, NotifyVia.OSC777),
        ({"TERM": "foot"}, NotifyVia.OSC777),
        ({"WT_SESSION": "x"}, NotifyVia.OSC777),
        ({"VTE_VERSION": "7600"}, NotifyVia.OSC777),
        ({"TERM": "rxvt-unicode-256color"}, NotifyVia.OSC777),
        ({"TERM": "xterm-256color"}, NotifyVia.BELL),
        ({}, NotifyVia.BELL),
    ],
)
def test_detection_from_the_environment(env: dict[str, str], via: NotifyVia) -> None:
    assert detect(env) is via


def test_the_notifier_resolves_auto_and_sees_tmux() -> None:
    notifier = Notifier.choose(NotifyVia.AUTO, {"TERM": "foot", "TMUX": "/tmp/tmux-1/default,1,0"})
    assert (notifier.via, notifier.tmux) == (NotifyVia.OSC777, True)
    assert notifier.notification("t", "b") == tmux_wrap("\x1b]777;notify;t;b\x07")
    chosen = Notifier.choose(NotifyVia.BELL, {"KITTY_WINDOW_ID": "1"})
    assert (chosen.via, chosen.tmux) == (NotifyVia.BELL, False)


def test_progress_only_where_the_terminal_draws_it() -> None:
    windows = Notifier.choose(NotifyVia.AUTO, {"WT_SESSION": "x"})
    assert windows.progress(42.4) == "\x1b]9;4;1;42\x07"
    assert windows.progress(150) == "\x1b]9;4;1;100\x07"
    assert windows.progress(80, ProgressState.ERROR) == "\x1b]9;4;2;80\x07"
    assert windows.progress(None) == "\x1b]9;4;0;0\x07"
    ghostty_in_tmux = Notifier.choose(NotifyVia.AUTO, {"TERM": "xterm-ghostty", "TMUX": "1"})
    assert ghostty_in_tmux.progress(5) == "\x1bPtmux;\x1b\x1b]9;4;1;5\x07\x1b\\"
    assert Notifier.choose(NotifyVia.AUTO, {"TERM_PROGRAM": "iTerm.app"}).progress(5) == ""
    assert Notifier.choose(NotifyVia.NONE, {"WT_SESSION": "x"}).progress(5) == ""
