"""Shared plumbing of the operations commands (``audit``, ``insights``, ``export``): reading accounts and
their tables through the provider's own session and gateways (so credentials resolve exactly as the
provider resolves them, and HTTP is spoken in one place), and rendering tables and progress."""

from ._accounts import AccountView, Reader, parse_since
from ._render import Output, fail, missing_extra

__all__ = ["AccountView", "Output", "Reader", "fail", "missing_extra", "parse_since"]
