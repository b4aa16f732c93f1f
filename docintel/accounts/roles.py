"""The five roles (contract §5) and the one place that answers "may this user do that?".

A role is a Django group of the same name; superusers count as ``admin``. Which documents a role may
open is ``docintel.documents.access``; role changes are recorded by the audit app's receivers.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models, transaction


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


# --- Who may do what: every view and endpoint names one of these, nothing else lists roles ------------
UPLOAD = (Role.CLERK, Role.ADMIN, Role.SERVICE)
READ_DOCUMENTS = (Role.CLERK, Role.REVIEWER, Role.ADMIN, Role.SERVICE)
CORRECT_EXTRACTIONS = (Role.REVIEWER, Role.ADMIN)
READ_AUDIT = (Role.COMPLIANCE, Role.ADMIN)
# Signed-in people with any role may use the web UI; ``service`` accounts are for the API only.
USE_WEB = (Role.CLERK, Role.REVIEWER, Role.COMPLIANCE, Role.ADMIN)
MANAGE_OWN_TOKENS = tuple(Role.values)
# GDPR erasure (right to be forgotten): the data-protection side, not the people who use documents.
ERASE_DOCUMENTS = (Role.COMPLIANCE, Role.ADMIN)
# Extraction schemas hold no document data: every role reads them; admins add versions.
READ_SCHEMAS = tuple(Role.values)
MANAGE_SCHEMAS = (Role.ADMIN,)
# Roles that see every document; the others see only documents they uploaded or were assigned.
SEES_ALL_DOCUMENTS = (Role.REVIEWER, Role.ADMIN, Role.SERVICE)


def set_roles(user, roles) -> None:
    """Make ``user`` hold exactly ``roles`` (group changes are audited by the audit app's receivers)."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    with transaction.atomic():  # one change of roles, with its audit events
        user.groups.remove(*Group.objects.filter(name__in=set(Role.values) - set(roles)))
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in roles))
    user.__dict__.pop("_docintel_roles", None)


def in_web(required: tuple[str, ...]) -> tuple[str, ...]:
    """The roles of ``required`` that may use the web UI (``service`` accounts are API-only)."""
    return tuple(role for role in required if role in USE_WEB)
