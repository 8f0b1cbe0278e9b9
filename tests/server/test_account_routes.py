"""The account routes the official client reads: one local user, no fees, no quotas."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import ServerProcess


def test_user_info_is_the_local_account(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        user = client.get("/users/info").json()
    assert user["tier"] == "local"
    assert user["email"] == f"{user['username']}@localhost"
    # No budget given (serve --credits): credits are not counted, and it says so.
    assert user["total_available_credits"] == 0
    assert user["credits_counted"] is False
    assert user["terminate_resources_credits_threshold"] == 0
    assert user["terms_and_conditions_decision"] == "unknown"
    registered = datetime.fromisoformat(user["registration_ts"].replace("Z", "+00:00"))
    key_written = module_server.api_key_file.stat().st_mtime
    assert abs(registered.timestamp() - key_written) < 1


def test_fees_are_zero_and_inactive(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        fees = client.get("/users/fees").json()
    assert fees == {
        "costs_fee_percentage": {"amount": 0.0, "active": False, "active_since": None, "unit": "%"},
        "task_orchestration_fee": {
            "amount": 0.0,
            "active": False,
            "active_since": None,
            "unit": "USD",
        },
    }


def test_there_are_no_quotas(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        response = client.get("/users/quotas")
    assert response.status_code == 200
    assert response.json() == {}
