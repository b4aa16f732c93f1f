"""Events caught from Django's signals wherever the change happens (a page, the admin, a command, a
shell): sign-ins and failed sign-ins, accounts and their roles, API tokens, document assignments, and
every add, change or delete made in the admin.

Token and assignment saves run in a transaction of their own (``docintel.accounts.models``), the admin
wraps each change in one, so each event commits or rolls back with the change it records.
``tests/security/audit_guard.py`` checks that for every test of the suite.

What the log keeps is for good: a failed sign-in names an existing account by its id, an unknown name
only as a keyed hash (it may be a password typed into the wrong box); client addresses are keyed hashes
too (``audit.pseudonyms``).
"""

from __future__ import annotations

import json

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from docintel.accounts.models import ApiToken, DocumentAssignment
from docintel.accounts.roles import Role

from .actions import record_event
from .middleware import current_actor
from .pseudonyms import client_pseudonym, who_tried

User = get_user_model()


def _source(request) -> str:
    return "api" if request is not None and request.path.startswith("/api/") else "web"


# --- Sign-ins ----------------------------------------------------------------------------------------
@receiver(user_logged_in, dispatch_uid="audit.login")
def _logged_in(sender, request, user, **kwargs) -> None:
    record_event("auth.login", actor=user, purpose="authentication",
                 details={"via": _source(request), "client": client_pseudonym(request)})


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")[:150]
    record_event("auth.login_failed", purpose="authentication",
                 details={**who_tried(username), "via": _source(request),
                          "client": client_pseudonym(request)})


# --- Accounts and roles ------------------------------------------------------------------------------
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


# Account fields that are access rights; names only go into the log, never values (a password hash).
ACCOUNT_FIELDS = ("is_superuser", "is_staff", "is_active", "password", "username")


@receiver(pre_save, sender=User, dispatch_uid="audit.account_changed")
def _account_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """A changed account: ``auth.account_changed`` naming the fields; a superuser flag is a change of
    the ``admin`` role too (a superuser counts as admin)."""
    if instance.pk is None:
        return
    fields = [f for f in ACCOUNT_FIELDS if update_fields is None or f in update_fields]
    before = User.objects.filter(pk=instance.pk).values(*fields).first() if fields else None
    if not before:
        return
    changed = sorted(f for f in fields if before[f] != getattr(instance, f))
    if not changed:
        return
    actor = current_actor()
    record_event("auth.account_changed", actor=actor, purpose="access management", details={
        "user_id": instance.pk, "fields": changed,
        **({"is_active": instance.is_active} if "is_active" in changed else {})})
    if "is_superuser" in changed:
        record_event("auth.role_changed", actor=actor, purpose="access management", details={
            "user_id": instance.pk, "username": instance.get_username(), "role": Role.ADMIN,
            "change": "added" if instance.is_superuser else "removed", "via": "superuser flag"})


@receiver(post_save, sender=User, dispatch_uid="audit.account_created")
def _account_created(sender, instance, created, **kwargs) -> None:
    if created:
        record_event("auth.account_created", actor=current_actor(), purpose="access management", details={
            "user_id": instance.pk, "username": instance.get_username(), "is_staff": instance.is_staff,
            "is_superuser": instance.is_superuser, "password_usable": instance.has_usable_password()})


@receiver(post_delete, sender=User, dispatch_uid="audit.account_deleted")
def _account_deleted(sender, instance, **kwargs) -> None:
    record_event("auth.account_deleted", actor=current_actor(), purpose="access management",
                 details={"user_id": instance.pk, "username": instance.get_username()})


# --- API tokens --------------------------------------------------------------------------------------
def _token_details(token: ApiToken) -> dict:
    return {"token": token.pk, "prefix": token.prefix, "user_id": token.user_id, "scope": token.scope}


@receiver(pre_save, sender=ApiToken, dispatch_uid="audit.token_changed")
def _token_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None:
        return
    before = ApiToken.objects.filter(pk=instance.pk).values("name", "scope", "revoked_at").first()
    if before is None:
        return
    if before["revoked_at"] is None and instance.revoked_at is not None:
        record_event("auth.token_revoked", actor=current_actor(), purpose="access management",
                     details=_token_details(instance))
    changed = sorted(f for f in ("name", "scope") if before[f] != getattr(instance, f))
    if changed:
        record_event("auth.token_changed", actor=current_actor(), purpose="access management",
                     details={**_token_details(instance), "fields": changed})


@receiver(post_save, sender=ApiToken, dispatch_uid="audit.token_issued")
def _token_issued(sender, instance, created, **kwargs) -> None:
    if created:
        record_event("auth.token_issued", actor=current_actor(), purpose="access management",
                     details=_token_details(instance))


@receiver(post_delete, sender=ApiToken, dispatch_uid="audit.token_deleted")
def _token_deleted(sender, instance, **kwargs) -> None:
    record_event("auth.token_deleted", actor=current_actor(), purpose="access management",
                 details=_token_details(instance))


# --- Document assignments: access grants -------------------------------------------------------------
@receiver(post_save, sender=DocumentAssignment, dispatch_uid="audit.access_granted")
def _access_granted(sender, instance, created, **kwargs) -> None:
    if created:
        record_event("access.granted", document=instance.document_id, actor=current_actor(),
                     purpose="access management", details={"user_id": instance.user_id,
                                                           "assignment": instance.pk})


@receiver(post_delete, sender=DocumentAssignment, dispatch_uid="audit.access_revoked")
def _access_revoked(sender, instance, **kwargs) -> None:
    record_event("access.revoked", document=instance.document_id, actor=current_actor(),
                 purpose="access management",
                 details={"user_id": instance.user_id, "assignment": instance.pk})


# --- Everything done in the admin --------------------------------------------------------------------
ADMIN_CHANGES = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def _changed_fields(change_message: str) -> list[str]:
    """Field names (and related models added or removed) from the admin's change message, never the
    values or the objects' names: a deny-list term or a file name may be personal data."""
    try:
        parts = json.loads(change_message or "[]")
    except ValueError:
        return []
    names: list[str] = []
    for part in parts if isinstance(parts, list) else []:
        for kind, detail in part.items():
            if kind == "changed":
                names += [str(name) for name in detail.get("fields", [])]
            elif kind in ("added", "deleted") and detail:
                names.append(f"{kind}:{detail.get('name', '')}")
    return sorted(set(names))


@receiver(post_save, sender=LogEntry, dispatch_uid="audit.admin_changed")
def _admin_changed(sender, instance, created, **kwargs) -> None:
    """The admin writes a LogEntry for each add, change and delete, inside the change's transaction."""
    if not created:
        return
    content_type = instance.content_type
    model = f"{content_type.app_label}.{content_type.model}" if content_type else ""
    record_event("admin.changed", actor=instance.user, purpose="administration",
                 document=instance.object_id if model == "documents.document" else None,
                 details={"model": model, "object_id": instance.object_id,
                          "change": ADMIN_CHANGES.get(instance.action_flag, str(instance.action_flag)),
                          "fields": _changed_fields(instance.change_message)})
