from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "docintel.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
