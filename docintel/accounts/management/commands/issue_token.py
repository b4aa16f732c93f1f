"""``manage.py issue_token USERNAME --role ROLE [--scope all|assigned]``: create the user if needed, print
only a new API token. Each change (account, role, token) is an audit event in the same transaction."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from docintel.accounts.models import ApiToken, TokenScope
from docintel.accounts.roles import Role, set_roles


class Command(BaseCommand):
    help = "Create USERNAME if needed, give it ROLE, and print a new API token (nothing else)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="issued by manage.py issue_token",
                            help="What will use the token (shown on the token page).")
        parser.add_argument("--scope", choices=TokenScope.values,
                            help="Documents the token may open within the role: all, or only those the "
                                 "account uploaded or was assigned. Default: assigned for a service "
                                 "account, all for people.")

    def handle(self, *args, username, role, name, scope=None, **options):
        scope = scope or (TokenScope.ASSIGNED if role == Role.SERVICE else TokenScope.ALL)
        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()  # API only until someone sets a password
                user.save(update_fields=["password"])
            set_roles(user, {role})
            _, key = ApiToken.issue(user, name, scope)
        self.stdout.write(key)
