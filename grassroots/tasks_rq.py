"""The Redis task backend: django-tasks-rq, with the platform's queue mapped to a Redis queue of its own name.

django-tasks-rq puts a task on the RQ queue named like the task's queue ("default" for every platform task). Two
installations, or two test runs, sharing one Redis would then run each other's jobs. Here the platform's "default"
queue is the Redis queue named by TASKS_RQ_QUEUE (settings.py), and `manage.py worker` listens on that one.
"""

from django_tasks_rq import RQBackend as BaseRQBackend


class RQBackend(BaseRQBackend):
    """django-tasks-rq's backend; OPTIONS["REDIS_QUEUES"] maps a task's queue name to its Redis queue name."""

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.redis_queues = dict(self.options.get("REDIS_QUEUES", {}))
        # A job's task is rebuilt in the worker with its Redis queue name, which must be valid here too.
        self.queues = set(self.queues) | set(self.redis_queues.values())

    def enqueue(self, task, args, kwargs):
        redis_queue = self.redis_queues.get(task.queue_name)
        return super().enqueue(task.using(queue_name=redis_queue) if redis_queue else task, args, kwargs)

    def check(self, **kwargs):
        # The platform's own queue names are mapped, not Redis queues: only the Redis names need RQ_QUEUES entries.
        mapped = {f"{name!r} is not configured for django-rq" for name in self.redis_queues}
        yield from (message for message in super().check(**kwargs) if message.msg not in mapped)
