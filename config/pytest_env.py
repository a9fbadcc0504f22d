"""A pytest plugin loaded before Django reads its settings (`-p config.pytest_env` in
pyproject.toml): uploaded test files (clearance documents, consent scans, import zips) go to a
temporary directory instead of the checkout's var/private. The models' FileFields keep the
storage they were given at import, so a later settings override would not move them."""

import atexit
import os
import shutil
import tempfile

if "PRIVATE_FILES_ROOT" not in os.environ:
    # The process that makes it (pytest, or its xdist controller: the workers inherit it)
    # removes it when the run ends.
    _root = tempfile.mkdtemp(prefix="wraparound-test-private-")
    os.environ["PRIVATE_FILES_ROOT"] = _root
    atexit.register(shutil.rmtree, _root, ignore_errors=True)
