"""warnings-collector's capture hook for pytest (6.0 or newer): load it
without changing any code, with

    PYTHONPATH=.ci pytest -p warnings_collector_pytest

and every warning pytest records (those of its warnings summary) is
appended to $WARNINGS_COLLECTOR_JSONL as one JSON line:

    {"message": "DeprecationWarning: ...", "file": "/abs/src/a.py",
     "line": 12, "test": "tests/test_a.py::test_x", "category": "deprecation"}

for `warnings-collector collect --jsonl FILE`. pytest's own output is
unchanged.

- The output: $WARNINGS_COLLECTOR_JSONL, made absolute at start; unset,
  `warnings.jsonl` in the current directory (said once on stderr). The
  absolute path is put back into the environment, so that subprocesses
  append to the same file. Each record is one write(2) on an O_APPEND
  file: processes running side by side never split each other's lines.
  The file is never truncated.
- The test: the node id of the test that was running (setup, call and
  teardown). Warnings at collection (importing a test module) or in
  pytest's configuration have no test.
- Deprecations: DeprecationWarning, PendingDeprecationWarning,
  FutureWarning and their subclasses, and classes named like one
  (`...DeprecationWarning`, Django's `RemovedInDjango50Warning`).
- Not seen: warnings that filters ignore (`-W ignore`, `filterwarnings`),
  warnings turned into errors (`-W error`), and those pytest does not
  capture (`-p no:warnings`). Under pytest-xdist the workers write, the
  controller does not, so nothing is written twice.
"""

import json
import os
import sys

ENV_VAR = "WARNINGS_COLLECTOR_JSONL"
_state = {"path": None, "cwd": None, "failed": False, "skip": False}

_DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def _category(cls):
    name = getattr(cls, "__name__", "")
    deprecation = (
        (isinstance(cls, type) and issubclass(cls, _DEPRECATIONS))
        or "Deprecation" in name
        or name.startswith("RemovedIn")
    )
    return "deprecation" if deprecation else "warning"


def pytest_configure(config):
    path = os.environ.get(ENV_VAR, "")
    if not path:
        path = os.path.abspath("warnings.jsonl")
        # Once: the xdist workers inherit the variable set below.
        sys.stderr.write(
            "warnings-collector: %s is not set; appending warnings to %s\n" % (ENV_VAR, path)
        )
    path = os.path.abspath(path)
    os.environ[ENV_VAR] = path
    _state["path"] = path
    _state["cwd"] = os.getcwd()
    # An xdist controller receives its workers' warnings again; they
    # already wrote them.
    is_worker = hasattr(config, "workerinput")
    distributed = getattr(config.option, "dist", "no") not in ("no", None)
    _state["skip"] = distributed and not is_worker


def pytest_warning_recorded(warning_message, when, nodeid, location):
    if _state["skip"] or _state["path"] is None:
        return
    cls = warning_message.category
    filename = warning_message.filename
    if filename and not filename.startswith("<") and not os.path.isabs(filename):
        filename = os.path.join(_state["cwd"], filename)
    record = {
        "message": "%s: %s" % (getattr(cls, "__name__", "Warning"), warning_message.message),
        "file": filename,
        "line": warning_message.lineno,
        "test": nodeid or None,
        "category": _category(cls),
    }
    try:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        fd = os.open(_state["path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except Exception as e:  # Never fail a test run for a record.
        if not _state["failed"]:
            _state["failed"] = True
            sys.stderr.write(
                "warnings-collector: cannot append to %s: %s (no more warnings are recorded)\n"
                % (_state["path"], e)
            )
