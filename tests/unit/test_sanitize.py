"""The one sanitizer: hostile terminal input never survives, plain text does."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inductiva_top.monitor.sanitize import (
    DEFAULT_LINE_MAX,
    DEFAULT_NAME_MAX,
    SanitizedLine,
    collapse_cr,
    render_cr,
    sanitize_line,
    sanitize_line_info,
    sanitize_name,
    sanitize_name_info,
    strip_sequences,
)

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

# Anything a terminal could act on, or that hides or reorders text.
FORBIDDEN_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029"
    + BIDI_CONTROLS
    + "\u200b\u2060\ufeff\U000e0000-\U000e007f]"
)

# Text built to hit the sanitizer's interesting paths, not just random noise.
_PIECES = st.sampled_from(
    [
        "\x1b",
        "\x1b[",
        "\x1b]",
        "\x1bP",
        "\x1b\\",
        "\x07",
        "\x9b",
        "\x9c",
        "\x9d",
        "\x90",
        "\r",
        "\n",
        "\t",
        "\x1b[K",
        "\x1b[2K",
        "[31m",
        "52;c;",
        ";",
        "?25l",
        "\u202e",
        "\u200d",
        "\ud800",
        "é",
        "語",
        "[bold]",
        " ",
        "abc",
    ]
)
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=60).map("".join),
)


def assert_safe(text: str) -> None:
    bad = FORBIDDEN_RE.search(text)
    assert bad is None, f"forbidden {bad.group()!r} in {text!r}"


# --- properties -------------------------------------------------------------


@settings(max_examples=400)
@given(hostile_text, st.integers(min_value=1, max_value=120))
@example("\x1b]52;c;aGk=\x07", 40)
@example("x" * 50, 10)
@example("x" * 50, 1)
def test_output_is_safe_capped_and_idempotent(text: str, cap: int) -> None:
    info = sanitize_line_info(text, cap)
    assert_safe(info.text)
    assert len(info.text) <= cap
    assert sanitize_line(info.text, cap) == info.text
    assert info.cut == (info.cut_chars > 0)


@settings(max_examples=300)
@given(st.binary(max_size=400), st.integers(min_value=1, max_value=200))
def test_any_bytes_give_safe_idempotent_text(data: bytes, cap: int) -> None:
    out = sanitize_line(data, cap)
    assert_safe(out)
    assert len(out) <= cap
    assert sanitize_line(out, cap) == out


@settings(max_examples=300)
@given(hostile_text, st.integers(min_value=1, max_value=80))
def test_names_are_single_line_safe_trimmed_and_idempotent(text: str, cap: int) -> None:
    out = sanitize_name(text, cap)
    assert_safe(out)
    assert "\t" not in out
    assert len(out) <= cap
    assert out == out.strip()
    assert "  " not in out
    assert sanitize_name(out, cap) == out


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300))
def test_printable_ascii_passes_unchanged(text: str) -> None:
    assert sanitize_line(text, 1000) == text


@given(hostile_text)
def test_collapse_cr_leaves_no_carriage_return_or_escape(text: str) -> None:
    out = collapse_cr(text)
    assert "\r" not in out
    assert "\x1b" not in out and "\x9b" not in out


# --- hostile cases ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("a\x1b]52;c;SGVsbG8=\x07b", "ab", id="osc52-clipboard-bel"),
        pytest.param("a\x1b]52;c;SGVsbG8=\x1b\\b", "ab", id="osc52-clipboard-st"),
        pytest.param("\x1b]0;pwned\x07ok", "ok", id="osc0-title"),
        pytest.param("\x1b]2;pwned\x1b\\ok", "ok", id="osc2-title"),
        pytest.param("\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", "click", id="osc8-link"),
        pytest.param("\x9d0;title\x9cok", "ok", id="osc-8bit"),
        pytest.param("x\x1b[2J\x1b[H\x1b[10;20Hy", "xy", id="csi-clear-and-move"),
        pytest.param("\x1b[?1049h\x1b[?25lz", "z", id="csi-private-params"),
        pytest.param("\x1b[31;1mred\x1b[0m", "red", id="csi-sgr"),
        pytest.param("\x9b31mred\x9b0m", "red", id="csi-8bit"),
        pytest.param("a\x1bP1$r0m\x1b\\b", "ab", id="dcs"),
        pytest.param("a\x90payload\x9cb", "ab", id="dcs-8bit"),
        pytest.param("a\x1b_apc\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d", "abcd", id="apc-pm-sos"),
        pytest.param("a\x1bcb\x1b7c\x1b(Bd\x1b#8e", "abcde", id="single-esc"),
        pytest.param("a\x1b", "a", id="trailing-esc"),
        pytest.param("a\x00b\x07c\x08d\x7fe", "abcde", id="c0-and-del"),
        pytest.param("a\x85b", "a b", id="nel"),
        pytest.param("a\x80\x8f\x99b", "ab", id="c1"),
        pytest.param("a\x9fapc payload", "a", id="c1-apc-introducer"),
        pytest.param("user\u202egnp.exe", "usergnp.exe", id="bidi-override"),
        pytest.param("\u2066a\u2069\u200e\u200f\u061cb", "ab", id="bidi-isolates-marks"),
        pytest.param("a\u200bb\u2060c\ufeffd\u00ade", "abcde", id="invisible-format"),
        pytest.param("hi\U000e0041\U000e0042", "hi", id="tag-smuggling"),
        pytest.param("a\ud800b", "a\ufffdb", id="lone-surrogate"),
        pytest.param("a\tb", "a       b", id="tab"),
        pytest.param("line one\nline two", "line one line two", id="embedded-newline"),
        pytest.param("a\u2028b\u2029c", "a b c", id="unicode-line-separators"),
    ],
)
def test_hostile_sequences_are_removed(raw: str, expected: str) -> None:
    assert sanitize_line(raw) == expected


def test_unterminated_osc_swallows_the_rest_of_the_line() -> None:
    assert sanitize_line("ok\x1b]52;c;" + "A" * 100) == "ok"


def test_osc_is_ended_by_can_and_by_a_new_escape() -> None:
    assert sanitize_line("\x1b]0;t\x18after") == "after"
    assert sanitize_line("\x1b]0;t\x1b[31mred") == "red"


def test_zero_width_joiners_are_kept_for_emoji_and_scripts() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert sanitize_line(family) == family
    assert sanitize_line("\u0645\u200c\u06cc") == "\u0645\u200c\u06cc"


def test_every_format_character_but_the_joiners_is_removed() -> None:
    fmt_chars = [
        chr(c)
        for c in range(0x110000)
        if unicodedata.category(chr(c)) == "Cf" and c not in (0x200C, 0x200D)
    ]
    assert fmt_chars
    assert sanitize_line("".join(fmt_chars), 10_000) == ""


def test_rich_markup_passes_through_literally() -> None:
    assert sanitize_line("[bold red]x[/]") == "[bold red]x[/]"
    assert sanitize_name("[link=http://evil]y[/link]") == "[link=http://evil]y[/link]"


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert sanitize_line(b"ok \xff\xfe \xc3") == "ok \ufffd\ufffd \ufffd"
    assert sanitize_line(b"caf\xc3\xa9") == "café"


def test_utf8_encoded_c1_controls_are_removed() -> None:
    assert sanitize_line("\u009b2J".encode()) == ""


# --- carriage returns -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10%\r20%\r30%", "30%"),
        ("abcdef\rXY", "XYcdef"),
        ("progress 50%\r", "progress 50%"),
        ("done\r\n", "done"),
        ("\r\r\r", ""),
        ("a\r", "a"),
        ("long text here\r\x1b[Kshort", "short"),
        ("long text here\r\x1b[0Kshort", "short"),
        ("long text here\x1b[2K\rshort", "short"),
        ("ab\x1b[Kcd\rX", "Xbcd"),
        ("abcdef\rXY\x1b[K", "XY"),
        ("\x1b[31mred\x1b[0m\rR", "Red"),
    ],
)
def test_carriage_returns_show_what_a_terminal_would(raw: str, expected: str) -> None:
    assert sanitize_line(raw) == expected


def test_collapse_cr_on_plain_text() -> None:
    assert collapse_cr("no return") == "no return"
    assert collapse_cr(" 10%|#   |\r 40%|####|") == " 40%|####|"
    assert collapse_cr("abcdef\rXY") == "XYcdef"
    assert collapse_cr("tqdm\r\n") == "tqdm\n"


def test_render_cr_writes_over_a_base() -> None:
    assert render_cr("20%", base="10% done") == "20% done"
    assert render_cr(b"\x1b[2K50%", base="10% done") == "50%"


def test_a_trailing_newline_is_the_terminator_not_content() -> None:
    assert sanitize_line("abc\n") == "abc"
    assert sanitize_line("abc\r\n") == "abc"


# --- caps ---------------------------------------------------------------------


def test_long_line_is_cut_with_a_visible_marker() -> None:
    info = sanitize_line_info("x" * 5000)
    assert info.cut
    assert len(info.text) == DEFAULT_LINE_MAX
    assert info.text.endswith(f" … [cut {info.cut_chars:,} chars]")
    assert info.text.startswith("x" * 1900)
    assert info.cut_chars == 5000 - info.text.index(" …")


def test_line_at_the_cap_is_not_cut() -> None:
    assert sanitize_line_info("y" * DEFAULT_LINE_MAX) == SanitizedLine("y" * DEFAULT_LINE_MAX)


def test_tiny_caps_use_a_bare_ellipsis() -> None:
    assert sanitize_line("abcdef", 3) == "ab…"
    assert sanitize_line("abcdef", 1) == "…"


def test_caller_discarded_characters_count_in_the_marker() -> None:
    info = sanitize_line_info("short", 100, extra_cut=1234)
    assert info.text == "short … [cut 1,234 chars]"
    assert info.cut_chars == 1234


def test_bad_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="max_len"):
        sanitize_line("x", 0)


def test_names_are_one_trimmed_line_with_a_shorter_cap() -> None:
    assert sanitize_name("  my\r\nproject\t name \x1b[31m ") == "my project name"
    info = sanitize_name_info("n" * 1000)
    assert info.cut and len(info.text) <= DEFAULT_NAME_MAX
    assert sanitize_name("a" * 10 + " " * 20 + "b" * 30, 20).endswith("chars]")


def test_strip_sequences_keeps_single_controls() -> None:
    assert strip_sequences("a\x1b[1mb\x00c") == "ab\x00c"


# --- hostile sizes (linear time: a quadratic pass would hit the test timeout) ----


def test_one_megabyte_line() -> None:
    info = sanitize_line_info("z" * 1_000_000)
    assert info.cut_chars > 990_000 and len(info.text) == DEFAULT_LINE_MAX


def test_one_megabyte_of_unterminated_osc() -> None:
    assert sanitize_line("\x1b]" * 500_000) == ""
    assert sanitize_line("\x1b]52;c;" + "Q" * 1_000_000) == ""


@pytest.mark.parametrize(
    "payload",
    [
        "\x1b[" * 500_000,
        "\x1bP" * 500_000,
        "\x9b" * 1_000_000,
        "x\r" * 500_000,
        "\x1b[Kx\r" * 200_000,
        "\t" * 1_000_000,
        "\u202e" * 1_000_000,
        "a" * 500_000 + "\r" + "b" * 500_000,
    ],
    ids=["csi", "dcs", "csi8", "cr", "erase-cr", "tabs", "bidi", "two-halves"],
)
def test_megabyte_hostile_inputs_are_handled(payload: str) -> None:
    out = sanitize_line(payload)
    assert_safe(out)
    assert len(out) <= DEFAULT_LINE_MAX


@pytest.mark.parametrize(
    "char", ["\U000e0000", "\U000e0001", "\U000e0002", "\U000e0041", "\U000e007f"]
)
def test_the_whole_tag_block_is_dropped(char: str) -> None:
    # Found by hypothesis: U+E0000 (unassigned, in the tag block) slipped through.
    assert sanitize_line(f"a{char}b") == "ab"
