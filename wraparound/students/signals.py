"""Signals the students app sends for other apps to act on (without it knowing them)."""

from django.dispatch import Signal

# A roster import wrote its rows (sent inside no transaction, after the import committed);
# kwargs: network_id, roster_import. Enrollment dates decide the days a student counts as
# enrolled, so the outcomes app recomputes its attendance summaries on it.
roster_imported = Signal()
