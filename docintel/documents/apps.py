from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "docintel.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from docintel import checks  # noqa: F401  (registers the data-dir checks)
