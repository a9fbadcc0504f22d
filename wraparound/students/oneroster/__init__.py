"""1EdTech OneRoster 1.2 CSV roster import.

- `spec`: the files, their columns (required or optional) and the vocabularies of the standard;
- `source`: a roster folder or zip, opened safely (no path traversal, size limits);
- `errors`: row-level problems (file, row, column, message), capped;
- `reader`: one streaming pass over every file that checks everything and hands the rows the
  import keeps to a staging sink;
- `sqlcheck`: on PostgreSQL, the files COPied as they are into temporary tables, checked and
  staged by set-based SQL (the reader runs only when something is, or may be, wrong);
- `staging`: the sinks (PostgreSQL COPY, chunked executemany elsewhere) and the set-based SQL that
  merges the staged rows into students, guardians, their links and enrollments;
- `progress`: the live progress row, written where the polling page can see it;
- `importer`: the whole run — check, then write everything or nothing.
"""
