"""What the editor's form posts, built from a connection's current mapping, for the view tests."""

import json

from django.urls import reverse

from mappings import versions


def editor_url(connection, name="mapping_editor", entity="purchase_order"):
    return reverse(name, args=[connection.pk, entity])


def draft(connection, entity="purchase_order", **changes):
    """The form the editor posts for the connection's current mapping, with `changes` applied."""
    mapping = versions.current(connection, entity)
    data = {"base_number": str(mapping.number), "sample": "0"}
    for rule in mapping.rules():
        prefix = f"custom.{len(data)}" if rule.is_custom else f"field.{rule.key}"
        if rule.is_custom:
            data[f"{prefix}.name"] = rule.key
        data[f"{prefix}.path"] = rule.path
        if rule.enabled:
            data[f"{prefix}.enabled"] = "on"
        for option, value in rule.transform.items():
            if option == "join":
                value = ", ".join(value)
            if option == "value_map":
                value = "\n".join(
                    f"{raw} = {v if isinstance(v, str) else json.dumps(v)}"
                    for raw, v in value.items()
                )
            data[f"{prefix}.{option}"] = value
    data.update(changes)
    return data
