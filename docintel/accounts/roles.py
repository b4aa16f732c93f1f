"""The five roles (contract §5) and the one place that answers "may this user do that?".

A role is a Django group of the same name; superusers count as ``admin``.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    CLERK = "clerk", "Clerk"
    REVIEWER = "reviewer", "Reviewer"
    COMPLIANCE = "compliance", "Compliance officer"
    ADMIN = "admin", "Administrator"
    SERVICE = "service", "Internal service"


def roles_of(user) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_docintel_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN)
        user._docintel_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))
