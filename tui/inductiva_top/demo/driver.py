"""Submits the demo plan to a running server, on schedule, in the background.

The driver runs in a thread with its own event loop so the dashboard's loop
stays the dashboard's. It goes through the same path a user's ``submit``
does (task request, signed upload of the input zip, ``input_uploaded``) and
kills the task the plan says to kill, through the real kill route.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import ApiError
from inductiva_top.demo.plan import (
    GROUPS,
    PLAN,
    TRICKLE_COUNT,
    TRICKLE_INTERVAL,
    DemoTask,
    MachineGroup,
    trickle,
    write_inputs,
)
from inductiva_top.transfer.submit import SubmitError, SubmitRequest, submit
from inductiva_top.transfer.upload import InputError


class DemoDriver:
    """Submit ``plan`` to the server at ``base_url``; ``start()``/``stop()`` from any thread."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        log: TextIO,
        *,
        plan: Sequence[DemoTask] = PLAN,
        groups: Sequence[MachineGroup] = GROUPS,
        follow_ups: int = TRICKLE_COUNT,
    ) -> None:
        self._base_url = base_url
        self._api_key = api_key
        self._log = log
        self._plan = plan
        self._groups = groups
        self._follow_ups = follow_ups
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self.submitted: dict[str, str] = {}
        """Plan name -> task id, as they are submitted."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo-driver", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel what is not submitted yet and wait for the thread."""
        loop, main = self._loop, self._main
        if loop is not None and main is not None and not loop.is_closed():
            loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)

    def _say(self, line: str) -> None:
        self._log.write(f"{time.strftime('%H:%M:%S')} {line}\n")
        self._log.flush()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main = loop.create_task(self.run())
            loop.run_until_complete(self._main)
        except asyncio.CancelledError:
            self._say("stopped")
        finally:
            loop.close()

    async def run(self) -> None:
        """Create the machine groups, then submit each task at its time."""
        async with InductivaClient(
            self._base_url, self._api_key, key_source="the demo server's data dir"
        ) as client:
            for group in self._groups:
                await client.put_local_machine_group(
                    group.name,
                    group.slots,
                    group.label,
                    cost_per_hour=group.cost_per_hour,
                    max_idle_time=group.max_idle_time,
                )
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix="inductiva-top-demo-inputs-") as scratch:
                kills: list[asyncio.Task[None]] = []
                try:
                    for task in sorted(self._plan, key=lambda t: t.delay):
                        await asyncio.sleep(max(0.0, started + task.delay - time.monotonic()))
                        task_id = await self._submit(client, task, Path(scratch) / task.name)
                        if task_id and task.kill_after is not None:
                            kills.append(asyncio.create_task(self._kill(client, task, task_id)))
                    await asyncio.gather(*kills)
                finally:
                    # Stopped early (the dashboard quit): a kill still sleeping would
                    # be destroyed pending when the loop closes.
                    for kill in kills:
                        kill.cancel()
                    await asyncio.gather(*kills, return_exceptions=True)
                self._say("the demo plan is submitted; a sweep follows")
                for index in range(self._follow_ups):
                    await asyncio.sleep(TRICKLE_INTERVAL)
                    task = trickle(index)
                    await self._submit(client, task, Path(scratch) / task.name)
        self._say("all demo tasks submitted")

    async def _submit(self, client: InductivaClient, task: DemoTask, inputs: Path) -> str | None:
        write_inputs(task, inputs)
        request = SubmitRequest(
            command=(sys.executable, task.script, *task.args),
            machine_group=task.machine_group,
            project=task.project,
            input_dir=inputs,
            ttl_seconds=task.ttl_seconds,
            simulator=task.script.removesuffix(".py"),
            metadata={"name": task.name, **task.metadata},
            env={"PYTHONUNBUFFERED": "1"},
        )
        try:
            task_id = await submit(client, request, self._say)
        except (ApiError, InputError, SubmitError, OSError) as exc:
            self._say(f"{task.name}: not submitted: {exc}")
            return None
        self.submitted[task.name] = task_id
        self._say(f"{task.name}: submitted as {task_id}")
        return task_id

    async def _kill(self, client: InductivaClient, task: DemoTask, task_id: str) -> None:
        await asyncio.sleep(task.kill_after or 0.0)
        try:
            status = await client.kill(task_id)
        except ApiError as exc:
            self._say(f"{task.name}: kill failed: {exc}")
            return
        self._say(f"{task.name}: kill requested, now {status.status}")
