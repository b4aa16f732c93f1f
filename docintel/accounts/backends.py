"""Who may sign in with a password and hold a session: people. Service accounts (role ``service``) are
for internal systems and reach docintel through API tokens only.

Django asks ``user_can_authenticate`` both when a password is checked (any sign-in form, the admin's
included) and when a session is turned back into a user on every request, so a service account can
neither sign in nor keep using a session it got some other way (one made before it became a service
account, ``force_login`` in a shell).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .roles import Role, roles_of


class PeopleOnlyBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and Role.SERVICE not in roles_of(user)
