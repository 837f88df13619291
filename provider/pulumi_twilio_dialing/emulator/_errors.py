"""Twilio's classic error format, as the emulator answers it."""

from __future__ import annotations

__all__ = ["TwilioError"]


class TwilioError(Exception):
    """An error answered in Twilio's JSON format (``code``, ``message``, ``more_info``, ``status``)."""

    def __init__(self, status: int, code: int, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    @classmethod
    def not_found(cls, path: str) -> TwilioError:
        return cls(404, 20404, f"The requested resource {path} was not found")

    @classmethod
    def authenticate(cls, message: str = "Authenticate") -> TwilioError:
        return cls(401, 20003, message, detail="Your AccountSid or AuthToken was incorrect.")

    @classmethod
    def permission_denied(cls, message: str) -> TwilioError:
        # Twilio reports credentials that are valid but not allowed here as 20003 too (docs/errors/20003).
        return cls(401, 20003, message)

    @classmethod
    def account_not_active(cls) -> TwilioError:
        return cls(401, 10001, "Account is not active")

    @classmethod
    def too_many_requests(cls) -> TwilioError:
        return cls(429, 20429, "Too Many Requests")

    @classmethod
    def invalid_parameter(cls, message: str) -> TwilioError:
        # 20001 is Twilio's generic "Invalid parameter"; the code for a malformed UpdateRequest is UNVERIFIED.
        return cls(400, 20001, message)

    @classmethod
    def accounts_resource(cls, message: str) -> TwilioError:
        return cls(400, 21100, message)

    @classmethod
    def method_not_allowed(cls, method: str, path: str) -> TwilioError:
        return cls(405, 20004, f"Method {method} not allowed on {path}")

    @classmethod
    def server_error(cls, status: int) -> TwilioError:
        return cls(status, 20500, "Internal Server Error" if status == 500 else "Service Unavailable")
