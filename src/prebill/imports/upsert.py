"""Set-based upsert: create what is new, update what changed, leave the rest untouched."""

from __future__ import annotations

from collections.abc import Hashable

from django.db import models


def upsert(
    model: type[models.Model], existing: dict[Hashable, models.Model], wanted: dict[Hashable, dict]
) -> tuple[dict[Hashable, models.Model], dict[str, int]]:
    """Bring rows keyed like `existing` to the `wanted` field values, in bulk."""
    new: dict[Hashable, models.Model] = {}
    changed: list[models.Model] = []
    fields: set[str] = set()
    for key, values in wanted.items():
        obj = existing.get(key)
        if obj is None:
            new[key] = model(**values)
            continue
        differing = {name: value for name, value in values.items() if getattr(obj, name) != value}
        if differing:
            for name, value in differing.items():
                setattr(obj, name, value)
            fields.update(differing)
            changed.append(obj)
    model.objects.bulk_create(list(new.values()), batch_size=500)
    if changed:
        model.objects.bulk_update(changed, sorted(fields), batch_size=500)
    result = {key: existing[key] for key in wanted if key in existing}
    result.update(new)
    return result, {"created": len(new), "updated": len(changed), "unchanged": len(wanted) - len(new) - len(changed)}
