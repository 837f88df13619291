"""What a ``pulumi preview`` of this package's resources would change, for reviewers.

``_effect``: the per-country effect of a ``DialingPermissions`` change (shared with the provider's
diagnostics); ``_digest``: reading ``pulumi preview --json``; ``_report``: the report of
``twilio-dialing preview-report``. Nothing here makes a request to Twilio.
"""

from __future__ import annotations

__all__: list[str] = []
