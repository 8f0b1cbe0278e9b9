"""The fleet as the dashboard knows it, refreshed inside the one poll tick.

:meth:`FleetState.refresh` is called by
:meth:`~inductiva_top.monitor.state.DashboardState.tick`, beside the task
requests, so the fleet shares the poll loop's pace, backoff and staleness.
Its cost per refresh does not depend on how many tasks exist:

* ``GET /compute/groups``: once per refresh;
* ``GET /users/info``: every :data:`ACCOUNT_EVERY`-th refresh. Credits move
  by cents a minute and the runway is shown to the quarter hour, so a few
  seconds' lag changes nothing on screen, and two requests in three are spared;
* ``GET /compute/group/{name}``: once for a group that has just left the
  list of active groups, to learn how it ended (rare: one per group ending).

A group that left the list stays shown as ended (the last
:data:`KEEP_ENDED`). Between refreshes the state keeps what it has seen of
each machine (since when it is idle) and, per group, the recent queue
lengths (:meth:`FleetState.observe_queues`), so a growing queue can be told.

Endpoints a server does not offer (404), refuses (4xx, 401/403) or answers in
a shape we cannot read leave the fleet "unavailable" with the reason, and the
rest of the tick goes on; transport trouble, 5xx and 429 fail the tick like
any other request (the data then shows as stale).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol, TypeVar, runtime_checkable

from inductiva_top.api.errors import BadResponse, ClientError, NotFound, Unauthorized
from inductiva_top.api.models import MachineGroup, Task, UserInfo
from inductiva_top.monitor import fmt
from inductiva_top.monitor.fleet.groups import (
    GroupView,
    MachineIdle,
    QueueCount,
    describe_group,
    group_key,
    idle_since,
    queued_by_group,
    sorted_views,
)
from inductiva_top.monitor.fleet.money import ENDED_STATUSES, Money, fleet_money
from inductiva_top.monitor.fleet.why import waiting_why
from inductiva_top.monitor.fmt import Clock, system_clock
from inductiva_top.monitor.foresight.estimates import GroupFacts, wait_reason
from inductiva_top.monitor.statuses import StatusKind, status_info
from inductiva_top.monitor.task.queue import QueueView

__all__ = [
    "ACCOUNT_EVERY",
    "KEEP_ENDED",
    "QUEUE_WINDOW",
    "EndedGroup",
    "FleetSource",
    "FleetState",
    "group_facts",
]

ACCOUNT_EVERY = 3
"""Ask ``GET /users/info`` every this many refreshes (see the module doc)."""

KEEP_ENDED = 8
"""Ended groups kept on the fleet screen, most recent first."""

QUEUE_WINDOW = 60.0
"""Seconds of queue lengths kept per group: a queue longer now than then is growing."""

_SECOND = timedelta(seconds=1)

TOLERATED = (ClientError, NotFound, Unauthorized, BadResponse)
"""Errors that mean "this server does not give this to this key", not "the API is down"."""

T = TypeVar("T")


@runtime_checkable
class FleetSource(Protocol):
    """The part of :class:`~inductiva_top.api.client.InductivaClient` the fleet uses."""

    async def list_machine_groups(self) -> list[MachineGroup]: ...

    async def get_machine_group(self, name: str) -> MachineGroup: ...

    async def user_info(self) -> UserInfo: ...


@dataclass(frozen=True)
class EndedGroup:
    """A group that left the list of active groups, as last described."""

    group: MachineGroup
    left_at: datetime


def group_facts(group: MachineGroup, *, credits_exhausted: bool = False) -> GroupFacts:
    """What the start estimates and the queue view need to know of ``group``."""
    machines = group.num_vms
    if machines is None and group.machines is not None:
        machines = sum(1 for m in group.machines if m.terminated_at is None)
    started = group.started if group.status is None else group.status == "started"
    return GroupFacts(
        machines=machines,
        started=started,
        quota=credits_exhausted,
        terminated=group.status in ENDED_STATUSES,
    )


async def _all(calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
    """Run ``calls`` together and wait for every one, failures included."""
    return list(await asyncio.gather(*calls, return_exceptions=True))


def _raise_first(results: Iterable[object]) -> None:
    for result in results:
        if isinstance(result, BaseException):
            raise result


@dataclass
class FleetState:
    """The machine groups, the account, and what the dashboard saw of them over time."""

    clock: Clock = system_clock
    groups: list[MachineGroup] = field(default_factory=list)
    """The active groups, as the last refresh listed them."""
    fetched_at: datetime | None = None
    """When they were listed (None: not yet, or the server does not list them)."""
    account: UserInfo | None = None
    unavailable: str = ""
    """Why the server gives no machine groups ("" when it does)."""
    ended: dict[str, EndedGroup] = field(default_factory=dict)
    refreshes: int = 0
    _idle: dict[str, MachineIdle] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)
    _queues: dict[str, deque[tuple[datetime, int]]] = field(default_factory=dict)
    _spells: dict[str, datetime] = field(default_factory=dict)
    """Per wholly idle group, the earliest estimate of when it went idle."""
    _due: set[str] = field(default_factory=set)
    """Groups whose countdown has run out (said once by :meth:`termination_due`)."""

    @property
    def loaded(self) -> bool:
        """Whether the groups have been listed at least once."""
        return self.fetched_at is not None

    # -- the refresh -------------------------------------------------------------------

    async def refresh(self, source: FleetSource) -> bool:
        """List the groups (and now and then the account); True when what is shown changed.

        What only the clock moves (idle times, costs, credits) is not a change:
        a quiet fleet lets the poll loop slow down.
        """
        self.refreshes += 1
        ask_account = self.refreshes % ACCOUNT_EVERY == 1
        calls: list[Awaitable[object]] = [source.list_machine_groups()]
        if ask_account:
            calls.append(source.user_info())
        listed, *account = await _all(calls)
        for result in (listed, *account):
            if isinstance(result, BaseException) and not isinstance(result, TOLERATED):
                raise result
        before = self._signature()
        now = self.clock()
        if account:
            found = account[0]
            self.account = found if isinstance(found, UserInfo) else self.account
        if isinstance(listed, BaseException):
            self.unavailable = str(listed)
            return self._signature() != before
        assert isinstance(listed, list)
        self.unavailable = ""
        await self._note_ended(source, listed, now)
        self._track_idle(listed, now)
        self.groups = listed
        self.fetched_at = now
        return self._signature() != before

    async def _note_ended(
        self, source: FleetSource, listed: list[MachineGroup], now: datetime
    ) -> None:
        """Remember groups that left the list, as ``GET /compute/group/{name}`` describes them."""
        names = {group_key(group) for group in listed}
        for name in names:
            self.ended.pop(name, None)  # started again
        gone = [group for group in self.groups if group_key(group) not in names]
        found = await _all([source.get_machine_group(group_key(group)) for group in gone])
        _raise_first(r for r in found if not isinstance(r, TOLERATED))
        for last, described in zip(gone, found, strict=True):
            group = described if isinstance(described, MachineGroup) else last
            self.ended[group_key(last)] = EndedGroup(group, now)
        while len(self.ended) > KEEP_ENDED:
            del self.ended[next(iter(self.ended))]

    def _track_idle(self, listed: list[MachineGroup], now: datetime) -> None:
        """Since when each machine, and each wholly idle group, has been idle.

        A machine seen busy at the last refresh and idle now went idle in
        between: with its group, if the whole group went idle since then
        (the last to finish), else now (exact to a refresh). A machine idle
        when first seen has been idle at least as long as its group.
        """
        previous = self.fetched_at
        live: set[str] = set()
        spells: dict[str, datetime] = {}
        for group in listed:
            key = group_key(group)
            group_since = idle_since(group, now)
            if group_since is not None:
                earlier = self._spells.get(key)
                spells[key] = min(group_since, earlier) if earlier is not None else group_since
                group_since = spells[key]
            for machine in group.machines or ():
                uuid = machine.uuid
                if not uuid or machine.terminated_at is not None:
                    continue
                live.add(uuid)
                if machine.current_task_id:
                    self._busy.add(uuid)
                    self._idle.pop(uuid, None)
                elif uuid in self._idle:
                    continue
                elif uuid in self._busy and previous is not None:
                    # Whole seconds: the group's idle start may read up to 1 s late.
                    last = group_since is not None and group_since >= previous - _SECOND
                    since = group_since if last and group_since is not None else now
                    self._idle[uuid] = MachineIdle(since, exact=True, with_group=last)
                else:
                    self._idle[uuid] = MachineIdle(group_since or now, exact=False)
        self._spells = spells
        self._busy &= live
        for uuid in set(self._idle) - live:
            del self._idle[uuid]

    def _signature(self) -> object:
        groups = tuple(
            (
                group_key(group),
                group.status,
                group.num_vms,
                tuple(m.current_task_id for m in group.machines or () if m.terminated_at is None),
                group.cost_per_hour.current if group.cost_per_hour else None,
                group.max_idle_time,
            )
            for group in self.groups
        )
        account = self.account
        exhausted = fleet_money((), account).exhausted if account is not None else None
        return groups, tuple(self.ended), self.unavailable, exhausted

    # -- queues ------------------------------------------------------------------------

    def observe_queues(self, tasks: Iterable[Task], now: datetime) -> None:
        """Note each active group's queue length now (from the waiting ``tasks`` held)."""
        counts = queued_by_group(self.groups, tasks)
        oldest = now - timedelta(seconds=QUEUE_WINDOW)
        keys = {group_key(group) for group in self.groups}
        for key in keys:
            history = self._queues.setdefault(key, deque())
            history.append((now, counts.get(key, 0)))
            while len(history) > 1 and history[0][0] < oldest:
                history.popleft()
        for key in set(self._queues) - keys:
            del self._queues[key]

    def queue_growing(self, key: str) -> bool:
        """Whether the group's queue is longer now than at the start of the window."""
        history = self._queues.get(key)
        return history is not None and len(history) > 1 and history[-1][1] > history[0][1]

    # -- what is shown -----------------------------------------------------------------

    def money(self) -> Money | None:
        """The money meter; None until the groups have been listed."""
        return fleet_money(self.groups, self.account) if self.loaded else None

    @property
    def credits_exhausted(self) -> bool:
        """Whether the money meter says the credits ran out (no machine starts then)."""
        money = self.money()
        return money is not None and money.exhausted

    def views(self, tasks: Sequence[Task], *, complete: bool, now: datetime) -> list[GroupView]:
        """Every group to show at ``now``: active ones, then ended ones.

        ``tasks`` are the active tasks the dashboard holds (the queues are
        counted from them); ``complete`` says whether they are all of them.
        """
        if self.fetched_at is None:
            return []
        fetched_at = self.fetched_at
        ended = list(self.ended.values())
        counts = queued_by_group([*self.groups, *(e.group for e in ended)], tasks)

        def queue(key: str) -> QueueCount:
            return QueueCount(counts.get(key, 0), partial=not complete)

        views = [
            describe_group(
                group,
                fetched_at=fetched_at,
                now=now,
                idle=self._idle,
                queue=queue(group_key(group)),
                growing=self.queue_growing(group_key(group)),
                group_idle_since=self._spells.get(group_key(group)),
            )
            for group in self.groups
        ]
        views += [
            describe_group(
                entry.group,
                fetched_at=entry.left_at,
                now=now,
                idle={},
                queue=queue(group_key(entry.group)),
                left_list_at=entry.left_at,
            )
            for entry in ended
        ]
        return sorted_views(views)

    def termination_due(self, now: datetime) -> bool:
        """True once when a group's countdown to auto-termination has run out by ``now``.

        The API should be asked then, not at the poll loop's slow pace: a
        quiet fleet may otherwise show "terminating now" for several seconds.
        """
        due = {
            view.name
            for view in self.views([], complete=True, now=now)
            if not view.ended and view.terminates_in is not None and view.terminates_in <= 0
        }
        new = due - self._due
        self._due = due
        return bool(new)

    def facts(self) -> dict[str, GroupFacts]:
        """What the start estimates need of each group the fleet knows, by its name and id.

        From the last listing (no request of its own): a group's size, whether
        it started, whether it ended, and whether the credits ran out. Empty
        until the groups have been listed (the estimates then count the
        group's tasks seen running at once).
        """
        exhausted = self.credits_exhausted
        known = [*(entry.group for entry in self.ended.values()), *self.groups]
        facts: dict[str, GroupFacts] = {}
        for group in known:
            described = group_facts(group, credits_exhausted=exhausted)
            if group_key(group) in self.ended:
                described = replace(described, terminated=True)
            for alias in (group.name, group.id):
                if alias:
                    facts[alias] = described
        return facts

    # -- the queue view ----------------------------------------------------------------

    async def group_of(self, task: Task, source: object) -> MachineGroup | None:
        """The machine group of the waiting ``task``, as ``GET /compute/group/{name}``
        describes it; None when the source cannot describe groups or the API does not
        know this one (the reason it waits is then the queue's)."""
        name = task.machine_group
        if status_info(task.status).kind is not StatusKind.WAITING or not name:
            return None
        if isinstance(source, FleetSource):
            try:
                return await source.get_machine_group(name)
            except TOLERATED:
                return None
        return None

    def explained(self, view: QueueView, group: MachineGroup | None) -> QueueView:
        """``view`` with why its task waits, in words, from ``group`` (None: not described).

        No request: a view rebuilt at every refresh says it again from the group
        it was last described with.
        """
        task = view.task
        if status_info(task.status).kind is not StatusKind.WAITING:
            return replace(view, described=group)
        facts = (
            group_facts(group, credits_exhausted=self.credits_exhausted) if group else GroupFacts()
        )
        queued = [t for t in view.ahead if t.status != "pending-input"]
        ahead = view.tasks_ahead if view.tasks_ahead is not None else len(queued)
        running = len(view.running)
        reason = wait_reason(
            task, tasks_ahead=ahead, facts=facts, running=running, machines=facts.machines
        )
        money = self.money()
        credits = money.credits if money is not None else None
        why = waiting_why(
            reason,
            tasks_ahead=ahead,
            machines=facts.machines,
            running=running,
            group_status=group.status if group is not None else None,
            credits_left=fmt.money(credits, money.currency)
            if money and credits is not None
            else None,
        )
        return replace(view, why=why, described=group)
