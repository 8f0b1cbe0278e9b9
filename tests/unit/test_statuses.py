"""Status knowledge: every contract code classified, unknown codes shown safely."""

from __future__ import annotations

import pytest

from inductiva_top.monitor.statuses import (
    FILTER_GROUPS,
    FILTERABLE,
    KNOWN_STATUSES,
    StatusKind,
    describe_codes,
    display_alias,
    is_killable,
    is_terminal,
    status_info,
)

CONTRACT_CODES = {
    "pending-input": False,
    "submitted": False,
    "started": False,
    "computation-started": False,
    "computation-ended": False,
    "success": True,
    "failed": True,
    "pending-kill": False,
    "killed": True,
    "spot-instance-preempted": False,
    "executer-terminated": False,
    "executer-terminated-by-user": True,
    "executer-terminated-ttl-exceeded": True,
    "executer-terminated-credits-exhausted": True,
    "executer-failed": True,
    "zombie": True,
    "ttl-exceeded": True,
}


@pytest.mark.parametrize(("code", "terminal"), sorted(CONTRACT_CODES.items()))
def test_every_contract_code_is_known_with_its_terminality(code: str, terminal: bool) -> None:
    info = status_info(code)
    assert info.known
    assert info.code == code
    assert info.terminal is terminal
    assert is_terminal(code) is terminal
    assert info.default_alias and info.description


def test_the_table_holds_the_contract_codes_and_in_queue() -> None:
    assert set(KNOWN_STATUSES) == set(CONTRACT_CODES) | {"in-queue"}


def test_killable_states_are_exactly_the_contract_ones() -> None:
    killable = {code for code in KNOWN_STATUSES if is_killable(code)}
    assert killable == {"pending-input", "submitted", "started", "computation-started", "in-queue"}


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("submitted", StatusKind.WAITING),
        ("pending-input", StatusKind.WAITING),
        ("spot-instance-preempted", StatusKind.WAITING),
        ("computation-started", StatusKind.RUNNING),
        ("computation-ended", StatusKind.RUNNING),
        ("success", StatusKind.SUCCESS),
        ("failed", StatusKind.FAILED),
        ("executer-failed", StatusKind.FAILED),
        ("killed", StatusKind.KILLED),
        ("pending-kill", StatusKind.KILLED),
    ],
)
def test_kinds(code: str, kind: StatusKind) -> None:
    assert status_info(code).kind is kind


def test_unknown_code_is_other_shown_as_itself_and_never_killed() -> None:
    info = status_info("warp-drive-engaged")
    assert not info.known
    assert info.kind is StatusKind.OTHER
    assert info.symbol == "?"
    assert info.default_alias == "warp-drive-engaged"
    assert not info.terminal and not info.killable
    assert display_alias("warp-drive-engaged") == "warp-drive-engaged"


def test_unknown_code_is_sanitized_for_display() -> None:
    assert display_alias("\x1b]0;pwn\x07evil\u202e") == "evil"
    assert display_alias("\x1b[2J") == "?"


def test_server_is_terminated_flag_wins() -> None:
    assert is_terminal("warp-drive-engaged", True)
    assert not is_terminal("success", False)
    assert not is_terminal("warp-drive-engaged")


def test_display_alias_prefers_the_server_alias_sanitized() -> None:
    assert display_alias("submitted", "Queued \x1b[31mnow") == "Queued now"
    assert display_alias("submitted", None) == "In Queue"
    assert display_alias("submitted", "   ") == "In Queue"


def test_every_kind_has_distinct_symbols_and_ascii_fallbacks() -> None:
    symbols = [kind.symbol for kind in StatusKind]
    ascii_symbols = [kind.ascii_symbol for kind in StatusKind]
    assert len(set(symbols)) == len(symbols)
    assert len(set(ascii_symbols)) == len(ascii_symbols)
    assert all(s.isascii() and len(s) == 1 for s in ascii_symbols)
    assert status_info("success").symbol == "✔"
    assert status_info("success").ascii_symbol == "+"


def test_filter_groups_cover_every_filterable_code_once() -> None:
    assert list(FILTER_GROUPS) == ["waiting", "running", "finished", "failed"]
    grouped = [code for codes in FILTER_GROUPS.values() for code in codes]
    # in-queue: reported by some servers, refused by the API's status filter.
    assert sorted(grouped) == sorted(set(KNOWN_STATUSES) - {"in-queue"}) == sorted(FILTERABLE)
    assert len(grouped) == len(set(grouped))


def test_waiting_and_running_groups_are_not_terminal() -> None:
    for group in ("waiting", "running"):
        assert not any(is_terminal(code) for code in FILTER_GROUPS[group])
    for group in ("finished", "failed"):
        assert all(is_terminal(code) for code in FILTER_GROUPS[group])


def test_codes_are_described_by_whole_groups_then_single_codes() -> None:
    failed = FILTER_GROUPS["failed"]
    assert describe_codes(failed) == "failed (6 codes)"
    assert describe_codes([*failed, *FILTER_GROUPS["waiting"]]) == (
        "waiting (4 codes), failed (6 codes)"
    )
    assert describe_codes(["killed", "failed", "success"]) == "success, failed, killed"
    assert describe_codes([*failed, "success", "new\x1b[31m-code"]) == (
        "failed (6 codes), success, new-code"
    )
