from django.apps import AppConfig


class RedactionConfig(AppConfig):
    name = "docintel.redaction"
    label = "redaction"
    verbose_name = "Redaction"
