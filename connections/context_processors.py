"""What every page's navigation needs to know about the signed-in user."""

from connections.models import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_role": user.role,
        "nav_role_label": Role(user.role).label,
        "nav_is_admin": user.is_platform_admin,
        "nav_is_staff": user.is_platform_staff,
    }
