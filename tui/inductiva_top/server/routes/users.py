"""The account routes the official client reads on its task paths.

The official ``inductiva`` client prints the account summary when a script
imports it (``GET /users/info``, ``GET /users/quotas``) and appends the
orchestration-fee note to ``tasks info`` (``GET /users/fees``). A local
server has one account (the person who started it), no fees and no quotas,
so these routes answer exactly that: the OS user, zero fees, and an empty
quota table. Credits are counted only when the server was given a budget
(``serve --credits``): ``total_available_credits`` is then the budget less
what the machine groups have cost, and ``terminate_resources_credits_threshold``
the level at which billed groups are stopped. Without one, credits are 0 and
the local extension ``credits_counted`` is false. Shapes follow the official
client's ``User``, ``UserFees``/``Fee`` and ``Quota`` models, which validate strictly.
"""

from __future__ import annotations

import getpass
import time
from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from inductiva_top.server.fleet.meter import Meter
from inductiva_top.server.layout import DataDir

LOCAL_TIER = "local"
"""The plan name shown for the local account."""


class User(BaseModel):
    """The account behind the API key."""

    email: str
    username: str
    name: str | None = None
    organization: str | None = None
    tier: str
    total_available_credits: float
    credits_currency: Literal["USD"] | None = None
    terms_and_conditions_decision: Literal["unknown", "accepted", "rejected"]
    terms_and_conditions_decision_ts: datetime | None = None
    extra_metadata: dict[str, str] | None = None
    registration_ts: datetime
    costs_fee_percentage: float
    terminate_resources_credits_threshold: float
    credits_counted: bool = Field(
        default=True,
        description=(
            "local extension: false when the server runs without a budget "
            "(serve --credits), so credits are not counted"
        ),
    )


class Fee(BaseModel):
    """One fee: its amount, unit, and whether it applies."""

    amount: float
    active: bool
    active_since: datetime | None = None
    unit: str


class UserFees(BaseModel):
    """The fees charged on top of computation costs."""

    costs_fee_percentage: Fee
    task_orchestration_fee: Fee


class Quota(BaseModel):
    """One usage limit (the local server has none; the shape is for the schema)."""

    id: str
    label: str
    max_allowed: float | None = None
    in_use: float | None = None
    unit: str
    scope: Literal["global", "instance"]


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers), no env vars
        return "local"


def users_router(data: DataDir, meter: Meter) -> APIRouter:
    """``GET /users/info``, ``GET /users/fees`` and ``GET /users/quotas``."""
    router = APIRouter(tags=["users"])

    @router.get("/users/info", response_model=User)
    async def get_user_info() -> User:
        """The local account: the OS user, registered when the data dir got its key."""
        login = _login()
        registered = datetime.fromtimestamp(data.api_key_file.stat().st_mtime, timezone.utc)
        left = meter.credits_left(time.time())
        threshold = meter.budget.threshold if meter.budget is not None else 0.0
        return User(
            email=f"{login}@localhost",
            username=login,
            name=login,
            tier=LOCAL_TIER,
            total_available_credits=round(left, 6) if left is not None else 0.0,
            credits_currency="USD",
            terms_and_conditions_decision="unknown",
            registration_ts=registered,
            costs_fee_percentage=0.0,
            terminate_resources_credits_threshold=threshold,
            credits_counted=left is not None,
        )

    @router.get("/users/fees", response_model=UserFees)
    def get_user_fees() -> UserFees:
        """Local tasks cost nothing: both fees are zero and inactive."""
        return UserFees(
            costs_fee_percentage=Fee(amount=0.0, active=False, unit="%"),
            task_orchestration_fee=Fee(amount=0.0, active=False, unit="USD"),
        )

    @router.get("/users/quotas", response_model=dict[str, Quota])
    def get_user_quotas() -> dict[str, Quota]:
        """No quotas: machine-group slots are the only limit, shown by the groups."""
        return {}

    return router
