from django.core.management.base import CommandError

from regions.audit import AuditedCommand
from regions.demo import create_demo_users
from regions.models import Region


class Command(AuditedCommand):
    help = "Create one demo user per role with a random password, printed once; existing users are kept."

    def handle(self, *args, **options):
        if not Region.objects.filter(code="3706").exists():
            raise CommandError("请先加载行政区划：manage.py load_regions")
        results = create_demo_users()
        self.stdout.write("演示账号（密码只显示这一次，请妥善保存）：")
        for result in results:
            spec = result.spec
            if result.password:
                self.stdout.write(f"  {spec.username:<20} 密码 {result.password}   {spec.first_name}")
            else:
                self.stdout.write(f"  {spec.username:<20} 已存在，密码未改变   {spec.first_name}")
