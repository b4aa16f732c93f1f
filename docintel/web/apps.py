from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "docintel.web"
    verbose_name = "Web UI"
