"""What the probe found, setting by setting, and the two forms it leaves: an emulator settings file and a
summary (text for people, JSON for machines)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SETTINGS", "Finding", "ProbeReport"]

SETTINGS: tuple[str, ...] = (
    "bulk_omitted_flag",
    "bulk_max_entries",
    "bulk_update_request",
    "bulk_update_count",
    "inheriting_subaccount_reads",
    "main_account_settings",
    "new_subaccount_inheritance",
    "iso_code_case",
    "country_code_filter",
    "api_keys_see_auth_tokens",
    "retry_after_seconds",
    "propagation_delay_seconds",
    "max_concurrent_requests",
    "max_subaccounts",
    "default_low_risk_countries",
)
"""Every field of the emulator's ``EmulatorSettings``, in its order (a test keeps the two equal). Named
here rather than imported, so that the probe runs without the emulator's extra (Starlette, uvicorn)."""


@dataclass
class Finding:
    """One setting of :class:`EmulatorSettings`: the value measured, or why there is none.

    ``how`` says what was sent, ``evidence`` what came back: together they let someone without the
    account judge the value. ``lower_bound`` is for a limit the probe could only show to be at least
    something (``bulk_max_entries`` when the whole table fits in one request): not a measured value, so it
    stays out of the settings file.
    """

    setting: str
    measured: bool
    value: Any = None
    how: str = ""
    evidence: str = ""
    lower_bound: float | None = None

    def shown_value(self) -> str:
        if self.measured:
            return _json_value(self.value)
        if self.lower_bound is not None:
            return f">= {self.lower_bound:g}"
        return "not measured"

    def as_dict(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "measured": self.measured,
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
            "lower_bound": self.lower_bound,
            "how": self.how,
            "evidence": self.evidence,
        }


def _json_value(value: Any) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value)


@dataclass
class ProbeReport:
    """Everything one probe run found, in the order of the emulator's settings."""

    findings: dict[str, Finding] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    subaccount_sid: str | None = None
    subaccount_name: str = ""
    subaccount_closed: bool = False
    aborted: str | None = None
    """Why the probe stopped early (the remaining settings are not measured), None if it ran to the end."""
    interrupted: bool = False
    """Stopped by Ctrl-C or SIGTERM (the clean-up still ran)."""
    cleanup_problems: list[str] = field(default_factory=list)
    """What could not be put back or closed: each names what to do by hand."""

    def settings(self) -> dict[str, Any]:
        """The emulator settings file: measured settings only, field name to value, in field order."""
        found: dict[str, Any] = {}
        for finding in self.ordered():
            if finding.measured:
                found[finding.setting] = list(finding.value) if isinstance(finding.value, tuple) else finding.value
        return found

    def ordered(self) -> list[Finding]:
        known = [self.findings[name] for name in SETTINGS if name in self.findings]
        return known + [f for name, f in self.findings.items() if name not in SETTINGS]

    def write_settings(self, path: Path) -> None:
        path.write_text(json.dumps(self.settings(), indent=2) + "\n", encoding="utf-8")

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings(),
            "findings": [f.as_dict() for f in self.ordered()],
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "subaccount": {
                "sid": self.subaccount_sid,
                "friendly_name": self.subaccount_name,
                "closed": self.subaccount_closed,
            },
            "aborted": self.aborted,
            "interrupted": self.interrupted,
            "cleanup_problems": list(self.cleanup_problems),
        }

    def render(self, settings_path: Path | None) -> str:
        """The summary for people: one line per setting with its value, then how and what came back."""
        lines: list[str] = []
        if self.subaccount_sid is None and self.cleanup_problems:
            lines.append("No throwaway subaccount was found; one may exist (see the clean-up problems below).")
        elif self.subaccount_sid is None:
            lines.append("No throwaway subaccount was created.")
        else:
            state = "closed" if self.subaccount_closed else "NOT closed"
            lines.append(f"Throwaway subaccount {self.subaccount_sid} ({self.subaccount_name!r}): {state}.")
        if self.aborted:
            lines.append(f"Stopped early: {self.aborted}")
        ordered = self.ordered()
        width = max((len(f.setting) for f in ordered), default=0)
        value_width = min(max((len(f.shown_value()) for f in ordered), default=0), 24)
        lines.append("")
        for finding in ordered:
            lines.append(f"{finding.setting:<{width}}  {finding.shown_value():<{value_width}}")
            if finding.how:
                lines.append(f"{'':<{width}}    how: {finding.how}")
            if finding.evidence:
                label = "found" if finding.measured or finding.lower_bound is not None else "why"
                lines.append(f"{'':<{width}}    {label}: {finding.evidence}")
        lines.append("")
        for problem in self.cleanup_problems:
            lines.append(f"CLEAN-UP PROBLEM: {problem}")
        measured = len(self.settings())
        lines.append(f"{self.requests} requests to Twilio in {self.seconds:.1f}s; {measured} settings measured.")
        if settings_path is not None:
            lines.append(
                f"Emulator settings written to {settings_path} (measured settings only): "
                f"twilio-dialing emulator --settings {settings_path}"
            )
        return "\n".join(lines)
