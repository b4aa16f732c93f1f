"""``manage.py quickstart_users``: make sure a newcomer can sign in (an ``admin`` with a random password).

Idempotent: with an admin account already there it only says how to sign in. The password is printed
once and stored nowhere else.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from docintel.accounts.roles import Role, set_roles


class Command(BaseCommand):
    help = "Create an 'admin' user with a random password unless one exists; print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url, **options):
        User = get_user_model()
        if User.objects.filter(username="admin").exists():
            self.stdout.write(f"Sign in at {url} as 'admin' (account already set up; "
                              "reset its password with: python manage.py changepassword admin).")
            return
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        with transaction.atomic():  # the account and its role, with their audit events, or nothing
            user = User.objects.create_superuser("admin", email="", password=password)
            set_roles(user, {Role.ADMIN})
        self.stdout.write(
            f"Created the administrator account.\n  Sign in at: {url}\n  Username:   admin\n"
            f"  Password:   {password}\n"
            "This password is shown only now. Create accounts for clerks, reviewers and compliance "
            f"officers at {url}admin/ (give each the group of their role)."
        )
