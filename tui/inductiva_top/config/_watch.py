"""Checking the ``watch`` rules and the ``notify_via`` and ``stall_after`` settings."""

from __future__ import annotations

import math

from inductiva_top.config._values import (
    MIN_REFRESH,
    did_you_mean,
    fail,
    shown,
    type_fault,
    unknown_key,
)
from inductiva_top.monitor.foresight.notify import NotifyVia
from inductiva_top.monitor.foresight.rules import RULE_KEYS, WATCH_EVENTS, WatchRule

__all__ = ["NOTIFY_CHOICES", "check_notify_via", "check_stall_after", "check_watch"]

NOTIFY_CHOICES = tuple(via.value for via in NotifyVia)


def check_notify_via(value: object, where: str) -> NotifyVia:
    """One of :data:`NOTIFY_CHOICES`."""
    if isinstance(value, NotifyVia):
        return value
    if not isinstance(value, str):
        type_fault(where, f"one of {', '.join(NOTIFY_CHOICES)}", value)
    word = value.strip().lower()
    if word not in NOTIFY_CHOICES:
        fail(
            where,
            f"{shown(value)} is not one of {', '.join(NOTIFY_CHOICES)}"
            f"{did_you_mean(word, NOTIFY_CHOICES)}",
        )
    return NotifyVia(word)


def check_stall_after(value: object, where: str) -> float:
    """Seconds without output before a running task counts as stalled: 0 (never) or >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        type_fault(where, "a number of seconds", value)
    if not math.isfinite(value) or value < 0:
        fail(where, f"expected 0 (never) or a number of seconds, got {value}")
    if 0 < value < MIN_REFRESH:
        fail(where, f"{value} is below the minimum of {MIN_REFRESH:g} second (0 turns it off)")
    return float(value)


def _name(body: dict[object, object], key: str, where: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        type_fault(f"{where}.{key}", "a name", value)
    return value.strip()


def _events(value: object, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        type_fault(where, "an event or a list of events", value)
    events = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    if not events:
        fail(where, "no events; give at least one of waiting, running, finished, failed")
    for event in events:
        if event not in WATCH_EVENTS:
            fail(
                where,
                f"unknown event {shown(event)}{did_you_mean(event, list(WATCH_EVENTS))}; "
                "events are waiting, running, finished, failed or a status code",
            )
    return events


def _rule(body: object, where: str) -> WatchRule:
    if not isinstance(body, dict):
        type_fault(where, "a mapping with project, simulator and on", body)
    if True in body:
        # YAML 1.1 (PyYAML) reads a bare ``on`` key as the boolean true.
        body = {("on" if key is True else key): value for key, value in body.items()}
    for key in body:
        if key not in RULE_KEYS:
            unknown_key(where, key, RULE_KEYS)
    project = _name(body, "project", where)
    simulator = _name(body, "simulator", where)
    if "on" not in body:
        return WatchRule(project, simulator)
    return WatchRule(project, simulator, _events(body["on"], f"{where}.on"))


def check_watch(value: object, where: str) -> tuple[WatchRule, ...]:
    """A list of watch rules (``{project, simulator, on}`` mappings); none or empty: no rules."""
    if value is None:
        return ()
    if isinstance(value, tuple) and all(isinstance(rule, WatchRule) for rule in value):
        return value
    if not isinstance(value, list):
        type_fault(where, "a list of rules such as {project: NAME, on: [failed, finished]}", value)
    return tuple(_rule(body, f"{where}[{index}]") for index, body in enumerate(value))
