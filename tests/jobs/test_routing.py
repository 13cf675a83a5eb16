"""A task's queue and priority come from its job type, decided in one place (jobs.registry)."""

from config.celery import app as celery_app
from jobs.broker import broker_priority
from jobs.registry import all_job_types


def _route(task_name: str) -> dict:
    return celery_app.amqp.router.route({}, task_name)


def test_every_job_task_sent_without_a_queue_goes_to_its_job_types_queue():
    for job_type in all_job_types():
        route = _route(job_type.task_name)

        assert route["queue"].name == job_type.queue, job_type.name
        assert route["priority"] == broker_priority(job_type.priority), job_type.name


def test_a_plain_task_goes_to_the_queue_it_declares_else_to_default():
    assert _route("jobs.maintenance.reap_dead_workers")["queue"].name == "maintenance"
    assert _route("jobs.bench.raw_noop")["queue"].name == "default"


def test_a_webhook_retry_timer_goes_where_its_task_says():
    from notifications.services.webhooks import DISPATCH_TASK

    assert _route(DISPATCH_TASK)["queue"].name == "default"


def test_an_explicit_queue_wins_over_the_route():
    route = celery_app.amqp.router.route({"queue": "low_priority"}, "videos.process_video")

    assert route["queue"].name == "low_priority"
