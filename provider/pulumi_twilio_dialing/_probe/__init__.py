"""``twilio-dialing probe``: settle the emulator's unknowns (``emulator/_settings.py``) on a real account.

A throwaway subaccount takes every write (the main account gets only one, of the value it already has),
and is closed at the end whatever happens. See ``_run`` for the steps and ``_findings`` for the results.
"""

from ._findings import SETTINGS, Finding, ProbeReport
from ._run import ProbeOptions, run_probe
from ._timing import roundest

__all__ = ["SETTINGS", "Finding", "ProbeOptions", "ProbeReport", "roundest", "run_probe"]
