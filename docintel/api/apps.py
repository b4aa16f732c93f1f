from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "docintel.api"
    label = "docintel_api"
    verbose_name = "REST API"
