"""Events nobody calls ``record_event`` for: sign-ins, failed sign-ins and role changes, caught from
Django's signals wherever they happen (web login, admin, shell, ``set_roles``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver

from docintel.accounts.roles import Role

from .actions import record_event
from .middleware import current_actor

User = get_user_model()


def _source(request) -> str:
    return "api" if request is not None and request.path.startswith("/api/") else "web"


@receiver(user_logged_in, dispatch_uid="audit.login")
def _logged_in(sender, request, user, **kwargs) -> None:
    record_event("auth.login", actor=user, purpose="authentication", details={"via": _source(request)})


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in ``credentials``; only the username is kept.
    username = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")[:150]
    record_event("auth.login_failed", purpose="authentication",
                 details={"username": username, "via": _source(request)})


def _role_changed(user_ids, role_names, change: str) -> None:
    for user in User.objects.filter(pk__in=user_ids):
        user.__dict__.pop("_docintel_roles", None)  # the cached roles are stale now
        for role in sorted(role_names):
            record_event("auth.role_changed", actor=current_actor(), purpose="access management",
                         details={"user_id": user.pk, "username": user.get_username(), "role": role,
                                  "change": change})


def _held(instance, reverse: bool, pk_set=None) -> set:
    """Before a removal: the role names a user holds (or the users a role group holds) among pk_set.
    Django announces every pk asked to be removed, held or not; only real changes are recorded."""
    if not reverse:
        groups = instance.groups.filter(name__in=Role.values)
        if pk_set is not None:
            groups = groups.filter(pk__in=pk_set)
        return set(groups.values_list("name", flat=True))
    if instance.name not in Role.values:
        return set()
    users = instance.user_set.all() if pk_set is None else instance.user_set.filter(pk__in=pk_set)
    return set(users.values_list("pk", flat=True))


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit.role_changed")
def _groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """``user.groups.add(g)`` (reverse=False) and ``group.user_set.add(u)`` (reverse=True) alike."""
    if action in ("pre_remove", "pre_clear"):  # remember what really goes: afterwards it is gone
        instance._audit_removing = _held(instance, reverse, pk_set if action == "pre_remove" else None)
        return
    if action == "post_add":
        if reverse:  # instance is a Group, pk_set are users (only those newly added)
            changed = {instance.name: pk_set} if instance.name in Role.values else {}
        else:
            names = Group.objects.filter(pk__in=pk_set, name__in=Role.values).values_list("name", flat=True)
            changed = {name: {instance.pk} for name in names}
        change = "added"
    elif action in ("post_remove", "post_clear"):
        removing: set = getattr(instance, "_audit_removing", set())
        changed = {instance.name: removing} if reverse else {name: {instance.pk} for name in removing}
        change = "removed"
    else:
        return
    for role, user_ids in sorted(changed.items()):
        if user_ids:
            _role_changed(user_ids, {role}, change)


@receiver(pre_save, sender=User, dispatch_uid="audit.superuser_changed")
def _superuser_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """A superuser counts as ``admin``: granting or removing it is a role change too."""
    if instance.pk is None or (update_fields is not None and "is_superuser" not in update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values_list("is_superuser", flat=True).first()
    if before is not None and before != instance.is_superuser:
        record_event("auth.role_changed", actor=current_actor(), purpose="access management", details={
            "user_id": instance.pk, "username": instance.get_username(), "role": Role.ADMIN,
            "change": "added" if instance.is_superuser else "removed", "via": "superuser flag"})
