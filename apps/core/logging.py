import logging
import re

_SECRET_PATTERNS = [
    (re.compile(r"(api_key=)[^&\s\"']+", re.IGNORECASE), r"\1[REDACTED]"),
    (re.compile(r"\bdh_[A-Za-z0-9_\-]{20,}"), "dh_[REDACTED]"),
    (re.compile(r"(Bearer|Token)\s+[A-Za-z0-9_\-\.]+", re.IGNORECASE), r"\1 [REDACTED]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Keeps API keys out of logs, including the query strings of request log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
