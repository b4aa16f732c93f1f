from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "docintel.documents"
    label = "documents"
    verbose_name = "Documents"
