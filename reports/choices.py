from django.db import models


class VersionSource(models.TextChoices):
    FILE = "file", "报表文件"
    WEB = "web", "页面编辑"
