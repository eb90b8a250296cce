"""Enqueueing helpers: tasks are sent after commit and never break the request that sent them."""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


def send_now(task: Task[Any, Any], *args: Any, **kwargs: Any) -> bool:
    """Send a task; on a broker failure log and return False (reconciliation catches up).

    Only an unreachable broker is absorbed: the data is already committed and the
    reconciliation tasks find what was never processed. A task failing in eager mode with
    propagation on (the test settings) still raises, so a broken follow-up cannot go unseen."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except (KombuOperationalError, ConnectionError, OSError):
        logger.warning("could not enqueue %s; reconciliation will retry", task.name)
        return False
    return True


def enqueue_on_commit(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: send_now(task, *args, **kwargs))
