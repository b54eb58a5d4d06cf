"""Template filters for the audit log's words."""

from django import template

from connections import audit_display

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(str(key)) if mapping else None


@register.filter
def audit_action(action: str) -> str:
    return audit_display.action_label(action)


@register.filter
def audit_object_type(object_type: str) -> str:
    return audit_display.object_type_label(object_type)
