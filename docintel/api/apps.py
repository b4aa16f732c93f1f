from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "docintel.api"
    label = "docintel_api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from . import webhooks  # noqa: F401  (signal receiver and webhook task)
