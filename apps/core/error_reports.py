"""What an error report (the DEBUG page under `make run`, a mailed or logged 500) shows of the
caller's credentials: nothing. Django's own filter hides settings named like secrets, but not
the `Authorization` header, the query string (`?api_key=`), nor local variables holding a token
or a request, so one 500 echoed the caller's token about 25 times."""

import re
from typing import Any

from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from apps.core.logging import redact

# Frame variables and request fields with these names are hidden whole; the rest of the report
# goes through the log redaction (`dh_…` tokens, `Bearer …`, `api_key=`).
_SENSITIVE = re.compile(
    r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|AUTH|COOKIE|CREDENTIAL|SESSION", flags=re.IGNORECASE
)


class CredentialMaskingFilter(SafeExceptionReporterFilter):
    hidden_settings = _SENSITIVE

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        return redact(cleansed) if isinstance(cleansed, str) else cleansed

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        if request is None or not hasattr(request, "META"):
            return {}
        return {key: self.cleanse_setting(key, value) for key, value in request.META.items()}

    def get_traceback_frame_variables(self, request: HttpRequest, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (name, self.cleansed_substitute if _SENSITIVE.search(str(name)) else value)
            for name, value in variables
        ]


class CredentialMaskingReporter(ExceptionReporter):
    """The whole rendered report is redacted as well: tokens also hide inside reprs of
    objects (a request, the parsed headers) and in the URL and GET parameters."""

    # Django returns SafeString; the redacted copy is a plain str (its callers only write it
    # into a response or an email), which the stubs' narrower return type does not allow.
    def get_traceback_html(self) -> str:  # type: ignore[override]
        return redact(str(super().get_traceback_html()))

    def get_traceback_text(self) -> str:  # type: ignore[override]
        return redact(str(super().get_traceback_text()))
