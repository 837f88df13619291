"""Manage Twilio Voice Dialing Geographic Permissions as infrastructure code with Pulumi.

The public API is what ``__all__`` lists (a test pins it). The local Twilio emulator lives in
:mod:`pulumi_twilio_dialing.emulator` and needs the ``emulator`` extra; importing this package does not
import it.
"""

from ._config import API_URL_CONFIG_KEY, API_URL_ENV, resolve_api_url
from ._exceptions import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    TwilioApiError,
    TwilioConnectionError,
    TwilioDialingError,
    WriteNotAppliedError,
)
from ._gateway import Credentials, Gateway
from ._models import (
    AccountRecord,
    ApiKeyRecord,
    BulkCountryUpdateResult,
    CountryPermissionUpdate,
    DialingPermissionsCountry,
)
from .dialing_permission_country import DialingPermissionCountry, DialingPermissionCountryArgs
from .subaccount_inheritance import SubaccountInheritance, SubaccountInheritanceArgs

__version__ = "0.1.0"

__all__ = [
    "API_URL_CONFIG_KEY",
    "API_URL_ENV",
    "AccountRecord",
    "ApiKeyRecord",
    "AuthenticationError",
    "BulkCountryUpdateResult",
    "ConfigurationError",
    "CountryPermissionUpdate",
    "Credentials",
    "DialingPermissionCountry",
    "DialingPermissionCountryArgs",
    "DialingPermissionsCountry",
    "Gateway",
    "NotFoundError",
    "RateLimitedError",
    "SubaccountInheritance",
    "SubaccountInheritanceArgs",
    "TwilioApiError",
    "TwilioConnectionError",
    "TwilioDialingError",
    "WriteNotAppliedError",
    "__version__",
    "resolve_api_url",
]
