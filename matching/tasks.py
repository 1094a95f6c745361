"""Background jobs of the matching app: thin wrappers around matching.evaluation and matching.incremental."""

from django.contrib.auth import get_user_model
from django_tasks import task


@task()
def evaluate_rule_task(rule_id: int, user_id: int | None = None) -> dict:
    """Evaluate one whole rule (after an edit, or on demand from its page)."""
    from .evaluation import evaluate_rule
    from .models import Rule

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    run = evaluate_rule(Rule.objects.get(pk=rule_id), acting_user=user)
    return {"rule": run.rule.code, "matched": run.matched, "new": run.new, "closed": run.closed}


@task()
def reevaluate_changes_task() -> dict:
    """After a merge (or any write to the base database): re-evaluate the entities the change feed touched."""
    from .incremental import reevaluate_changes

    runs = reevaluate_changes()
    rules = [run.rule.code for run in runs]
    return {"rules": rules, "new": sum(r.new for r in runs), "closed": sum(r.closed for r in runs)}
