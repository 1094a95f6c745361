from django.apps import AppConfig, apps

# Chinese names, in the admin, of the third-party apps and models the platform relies on. Only `_meta`'s display
# names are set (not `original_attrs`), so migrations of those apps see no change.
THIRD_PARTY_NAMES = {
    "axes": (
        "登录防护",
        {"AccessAttempt": "登录尝试（锁定计数）", "AccessLog": "登录记录", "AccessFailureLog": "登录失败记录"},
    ),
    "django_tasks_database": ("后台任务", {"DBTaskResult": "后台任务结果"}),
}


def name_third_party_models_in_chinese() -> None:
    for label, (app_name, models) in THIRD_PARTY_NAMES.items():
        if label not in apps.app_configs:
            continue
        config = apps.get_app_config(label)
        config.verbose_name = app_name
        for model_name, name in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name = meta.verbose_name_plural = name


class RegionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "regions"
    verbose_name = "行政区划与权限"

    def ready(self):
        name_third_party_models_in_chinese()
