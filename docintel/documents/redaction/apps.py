from django.apps import AppConfig


class RedactionConfig(AppConfig):
    name = "docintel.documents.redaction"
    label = "redaction"
    verbose_name = "Redaction"
