from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "docintel.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from .authentication import connect_signals

        connect_signals()  # a revoked token or changed role stops working at once in this process
