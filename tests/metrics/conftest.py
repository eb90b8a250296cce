import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_pending_recompute():
    """The pending-recompute flag lives in the cache (Redis in CI): start every test without one."""
    cache.clear()
    yield
    cache.clear()


def _reset_broker_pools(app) -> None:
    # Connections are pooled per broker URL: forget them when the URL changes under the app.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_app_with(transactional_db):
    """Run a test against Celery configured differently (broker URL, eager mode), restoring
    the configuration afterwards. Returns a function applying the new configuration."""
    from config.celery_app import app

    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
    }

    def configure(**conf):
        app.conf.update(**conf)
        _reset_broker_pools(app)
        return app

    yield configure
    app.conf.update(**saved)
    _reset_broker_pools(app)
