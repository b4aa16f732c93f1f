from django import template

from docintel.accounts import roles

register = template.Library()


@register.simple_tag
def navigation(user) -> dict:
    """What the navigation offers this user (the same role tuples the views check)."""
    return {
        "upload": roles.has_role(user, *roles.in_web(roles.UPLOAD)),
        "documents": roles.has_role(user, *roles.in_web(roles.READ_DOCUMENTS)),
        "audit": roles.has_role(user, *roles.READ_AUDIT),
        "admin": roles.has_role(user, roles.Role.ADMIN) and user.is_staff,
        "roles": ", ".join(sorted(roles.roles_of(user))) or "no role",
    }


@register.filter
def stage_label(status: str) -> str:
    return {"queued": "Waiting", "running": "Working…", "done": "Done", "failed": "Failed",
            "skipped": "Not needed"}.get(status, status)
