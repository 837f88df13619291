"""Manage Twilio Voice Dialing Geographic Permissions as infrastructure code with Pulumi.

The public API is what ``__all__`` lists (a test pins it). The local Twilio emulator lives in
:mod:`pulumi_twilio_dialing.emulator` and needs the ``emulator`` extra; importing this package does not
import it.
"""

from ._config import API_URL_CONFIG_KEY, API_URL_ENV, resolve_api_url
from ._exceptions import (
    AccountClosedError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PartialWriteError,
    RateLimitedError,
    StateDivergedError,
    StateUnreadableError,
    TwilioApiError,
    TwilioConnectionError,
    TwilioDialingError,
    TwilioRequestError,
    UnknownCountryError,
    WriteNotAppliedError,
)
from ._functions import get_countries, get_country, get_high_risk_special_prefixes, get_subaccounts
from ._gateway import Credentials, Gateway
from ._models import (
    AccountRecord,
    ApiKeyRecord,
    BulkCountryUpdateResult,
    CountryPermissionUpdate,
    CountryRecord,
    DialingPermissionsCountry,
)
from .dialing_permission_country import DialingPermissionCountry, DialingPermissionCountryArgs
from .dialing_permissions import UNCHANGED, CountryPermissionsArgs, DialingPermissions, DialingPermissionsArgs
from .subaccount import Subaccount, SubaccountArgs
from .subaccount_inheritance import SubaccountInheritance, SubaccountInheritanceArgs
from .tenant import TenantDialingPolicy, TenantDialingPolicyArgs

__version__ = "0.1.0"

__all__ = [
    "API_URL_CONFIG_KEY",
    "API_URL_ENV",
    "UNCHANGED",
    "AccountClosedError",
    "AccountRecord",
    "ApiKeyRecord",
    "AuthenticationError",
    "BulkCountryUpdateResult",
    "ConfigurationError",
    "CountryPermissionUpdate",
    "CountryPermissionsArgs",
    "CountryRecord",
    "Credentials",
    "DialingPermissionCountry",
    "DialingPermissionCountryArgs",
    "DialingPermissions",
    "DialingPermissionsArgs",
    "DialingPermissionsCountry",
    "Gateway",
    "NotFoundError",
    "PartialWriteError",
    "RateLimitedError",
    "StateDivergedError",
    "StateUnreadableError",
    "Subaccount",
    "SubaccountArgs",
    "SubaccountInheritance",
    "SubaccountInheritanceArgs",
    "TenantDialingPolicy",
    "TenantDialingPolicyArgs",
    "TwilioApiError",
    "TwilioConnectionError",
    "TwilioDialingError",
    "TwilioRequestError",
    "UnknownCountryError",
    "WriteNotAppliedError",
    "__version__",
    "get_countries",
    "get_country",
    "get_high_risk_special_prefixes",
    "get_subaccounts",
    "resolve_api_url",
]
