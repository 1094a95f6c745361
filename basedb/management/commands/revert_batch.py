import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from basedb.revert import revert_batch
from collection.models import Batch
from regions.audit import AuditedCommand


class Command(AuditedCommand):
    help = "Revert the merge of batch ID: retire the records it created and restore those it updated, with history."

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--user", default=None, help="act as this user (their region must cover the batch)")

    def handle(self, *args, **options):
        batch = Batch.objects.unrestricted("CLI: the operator names the batch").filter(pk=options["batch_id"]).first()
        if batch is None:
            raise CommandError(f"批次 {options['batch_id']} 不存在")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"用户 {options['user']} 不存在或已停用")
        try:
            result = revert_batch(batch, acting_user=user)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc
        summary = {"batch": batch.pk, "retired": result.retired, "restored": result.restored}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
