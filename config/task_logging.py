"""Log every task's start, success, retry and failure with its task id."""

import logging

from celery import signals

logger = logging.getLogger("reelhouse.tasks")


@signals.task_prerun.connect(dispatch_uid="reelhouse.task_prerun")
def log_task_start(task_id: str, task, **kwargs) -> None:
    logger.info("task start name=%s task_id=%s", task.name, task_id)


@signals.task_success.connect(dispatch_uid="reelhouse.task_success")
def log_task_success(sender, **kwargs) -> None:
    logger.info("task success name=%s task_id=%s", sender.name, sender.request.id)


@signals.task_retry.connect(dispatch_uid="reelhouse.task_retry")
def log_task_retry(sender, request, reason, **kwargs) -> None:
    logger.warning("task retry name=%s task_id=%s reason=%s", sender.name, request.id, reason)


@signals.task_failure.connect(dispatch_uid="reelhouse.task_failure")
def log_task_failure(sender, task_id: str, exception, einfo, **kwargs) -> None:
    logger.error(
        "task failure name=%s task_id=%s error=%r\n%s",
        getattr(sender, "name", sender),
        task_id,
        exception,
        einfo,
    )
