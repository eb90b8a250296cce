"""Which receiver handles `POST /v1/ingestion/<provider>`, Pulse's one webhook URL for all tools.

Receivers are named by dotted path and imported on first use, so a provider whose adapter is
not installed yet is simply not offered. Each is served with the API key naming the
connection (there is no connection id in the URL); it otherwise behaves as on its own route.
"""

import functools
import importlib

from apps.ingest.receivers import Receiver
from apps.integrations.pulse.receivers import TokenConnectionMixin

PROVIDERS: dict[str, str] = {
    "cli": "apps.integrations.pulse.receivers.PulseCliReceiver",
    "cirrus": "apps.integrations.cirrus.receivers.CirrusReceiver",
    "github": "apps.integrations.github.receivers.GitHubReceiver",
}


def receiver_for(provider: str) -> type[Receiver] | None:
    path = PROVIDERS.get(provider)
    return _keyed_receiver(path) if path else None


def supported() -> list[str]:
    return sorted(name for name in PROVIDERS if receiver_for(name) is not None)


@functools.cache
def _keyed_receiver(path: str) -> type[Receiver] | None:
    receiver_class = _import(path)
    if receiver_class is None or issubclass(receiver_class, TokenConnectionMixin):
        return receiver_class
    # Same route name as the adapter's own: the inbox and "reprocess" treat both alike.
    return type(
        f"Keyed{receiver_class.__name__}",
        (TokenConnectionMixin, receiver_class),
        {"__module__": __name__},
    )


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
