"""Errors raised inside the stand-in: API refusals and misuse of the simulation."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal the stand-in answers with, shaped like Telegram's error envelope."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram would send for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """Return a 400 error whose description reads ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """Return a 403 error whose description reads ``Forbidden: <detail>``."""
    return ApiError(403, f"Forbidden: {detail}")


def not_found() -> ApiError:
    """Return the 404 Telegram gives for methods it does not know."""
    return ApiError(404, "Not Found")


def conflict(detail: str) -> ApiError:
    """Return a 409 error whose description reads ``Conflict: <detail>``."""
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """Return the 429 of Telegram's flood control, with ``parameters.retry_after``."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


class SimulationError(Exception):
    """A test or demo asked the world to do something that cannot happen in Telegram."""
