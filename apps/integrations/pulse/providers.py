"""Which receiver handles `POST /v1/ingestion/<provider>`, Pulse's one webhook URL for all tools.

Receivers are named by dotted path and imported on first use, so a provider whose adapter is
not installed yet is simply not offered. Each is served with the API key naming the
connection (there is no connection id in the URL), and still checks a signature where its own
route does; it otherwise behaves as on its own route, route name included.
"""

import importlib

from apps.ingest.authentication import Authentication, Signature, TokenNamesConnection
from apps.ingest.receivers import Receiver
from apps.integrations.pulse.receivers import KEY_NAMES_CONNECTION

PROVIDERS: dict[str, str] = {
    "cli": "apps.integrations.pulse.receivers.PulseCliReceiver",
    "cirrus": "apps.integrations.cirrus.receivers.CirrusReceiver",
    "github": "apps.integrations.github.receivers.GitHubReceiver",
}


def receiver_for(provider: str) -> Receiver | None:
    path = PROVIDERS.get(provider)
    receiver_class = _import(path) if path else None
    if receiver_class is None:
        return None
    return receiver_class(authentication=keyed(receiver_class.authentication))


def supported() -> list[str]:
    return sorted(name for name, path in PROVIDERS.items() if _import(path) is not None)


def keyed(authentication: Authentication) -> Authentication:
    """The route's own strategy, with the API key naming the connection."""
    if isinstance(authentication, TokenNamesConnection):
        return authentication
    if isinstance(authentication, Signature):
        return TokenNamesConnection(hint=KEY_NAMES_CONNECTION.hint, then=authentication)
    return KEY_NAMES_CONNECTION


def _import(path: str) -> type[Receiver] | None:
    module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only "this adapter does not exist (yet)" means unknown; a broken adapter must fail loudly.
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    receiver_class = getattr(module, attribute, None)
    if isinstance(receiver_class, type) and issubclass(receiver_class, Receiver):
        return receiver_class
    return None
