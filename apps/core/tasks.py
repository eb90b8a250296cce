"""Enqueueing helpers: tasks are sent after commit and never break the request that sent them."""

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def send_now(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Send a task; on a broker failure log and return False (reconciliation catches up)."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # broker unreachable, or an eager task failing: the data is already safe
        logger.warning("could not run or enqueue %s; reconciliation will retry", task.name)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: send_now(task, *args, **kwargs))
