"""Files of the private storage (clearance documents, consent scans, uploaded rosters and
attendance files): what is still referred to, and the sweep of what no longer is.

Deleting a row does not delete its file (Django leaves that to us), and a network reset, a
deleted clearance record or an import removed with its network leaves files that hold student
and staff data nobody can reach through the application any more. The sweep deletes a file that
no FileField of any model refers to once it is older than a day (an upload being saved right
now is referred to only once its row commits)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from django.apps import apps
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

MIN_AGE = dt.timedelta(days=1)


def private_storage() -> Storage:
    return storages["private"]


def _private_file_fields() -> Iterator[tuple[type[models.Model], str]]:
    # The fields name their storage by a callable returning `storages["private"]` (settings may
    # swap it: tests do); the storage object a field holds is the one of import time.
    storage = private_storage()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.FileField):
                continue
            chooser = getattr(field, "_storage_callable", None)
            if chooser is not None and chooser() is storage:
                yield model, field.name


def referenced_names() -> set[str]:
    names: set[str] = set()
    for model, field in _private_file_fields():
        names.update(
            model._default_manager.exclude(**{field: ""})
            .exclude(**{f"{field}__isnull": True})
            .values_list(field, flat=True)
        )
    return names


def _walk(storage: Storage, folder: str = "") -> Iterator[str]:
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}" if folder else sub)


def orphaned_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the private files no row refers to, older than a day. Idempotent: returns how
    many it deleted."""
    storage = private_storage()
    now = now or timezone.now()
    try:
        stored = list(_walk(storage))
    except FileNotFoundError:  # nothing was ever uploaded
        return 0
    keep = referenced_names()
    deleted = 0
    for name in stored:
        if name in keep or now - storage.get_modified_time(name) < MIN_AGE:
            continue
        storage.delete(name)
        deleted += 1
        logger.info("private file %s deleted: no row refers to it", name)
    return deleted


def delete_file(field_file: models.fields.files.FieldFile) -> None:
    """Delete a private file whose row stays (the row is saved by the caller)."""
    if field_file.name:
        private_storage().delete(field_file.name)
        field_file.name = ""
