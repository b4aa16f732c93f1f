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


# --- Who may do what: every view and endpoint names one of these, nothing else lists roles ------------
UPLOAD = (Role.CLERK, Role.ADMIN, Role.SERVICE)
READ_DOCUMENTS = (Role.CLERK, Role.REVIEWER, Role.ADMIN, Role.SERVICE)
CORRECT_EXTRACTIONS = (Role.REVIEWER, Role.ADMIN)
READ_AUDIT = (Role.COMPLIANCE, Role.ADMIN)
# Signed-in people with any role may use the web UI; ``service`` accounts are for the API only.
USE_WEB = (Role.CLERK, Role.REVIEWER, Role.COMPLIANCE, Role.ADMIN)
MANAGE_OWN_TOKENS = tuple(Role.values)
# Roles that see every document; the others see only documents they uploaded or were assigned.
SEES_ALL_DOCUMENTS = (Role.REVIEWER, Role.ADMIN, Role.SERVICE)


def visible_documents(user, queryset=None):
    """The documents ``user`` may open: all of them, their own and assigned ones, or none."""
    from docintel.documents.models import Document

    queryset = Document.objects.all() if queryset is None else queryset
    if has_role(user, *SEES_ALL_DOCUMENTS):
        return queryset
    if has_role(user, *READ_DOCUMENTS):
        from django.db.models import Q

        return queryset.filter(Q(uploaded_by=user) | Q(assignments__user=user)).distinct()
    return queryset.none()


def can_open(user, document) -> bool:
    return visible_documents(user).filter(pk=document.pk).exists()


def record_denial(request, required: tuple[str, ...], document=None) -> None:
    """Audit a refused request (the caller answers 403); with the document, it shows in its trail."""
    from audit.actions import record_event

    user = getattr(request, "user", None)
    record_event(
        "access.denied", document=document, actor=user if getattr(user, "is_authenticated", False) else None,
        purpose="access control",
        details={"path": request.path, "method": request.method, "required_roles": sorted(required)},
    )


def set_roles(user, roles) -> None:
    """Make ``user`` hold exactly ``roles`` (group changes are audited by the audit app's receivers)."""
    from django.contrib.auth.models import Group

    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    user.groups.remove(*Group.objects.filter(name__in=set(Role.values) - set(roles)))
    user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in roles))
    user.__dict__.pop("_docintel_roles", None)


def in_web(required: tuple[str, ...]) -> tuple[str, ...]:
    """The roles of ``required`` that may use the web UI (``service`` accounts are API-only)."""
    return tuple(role for role in required if role in USE_WEB)
