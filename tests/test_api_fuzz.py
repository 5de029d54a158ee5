"""Schemathesis against /api/v1/openapi.json, served by gunicorn, as every role.

No 5xx, and every response must match the documented schema and content
type. The budget is a number of examples per operation, not a time (a time
budget makes schemathesis fuzz until it is spent); raise
``MAKERLAB_FUZZ_EXAMPLES`` locally for a deeper run. Schemathesis' own report
must show that every check ran on every operation: a run that checked nothing
fails.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from makerlab.auth.services import issue_token
from makerlab.extensions import db

ROLES = ("admin", "coordinator", "youth_worker", "teacher")
CHECKS = ("not_a_server_error", "response_schema_conformance", "content_type_conformance")
FAILURE_CODE = re.compile(r"ST1\d\d [A-Z][^\n]*")


def checks_run(events: Path) -> dict[str, set[str]]:
    """Check name -> the operations it ran on, from schemathesis' NDJSON event report."""
    ran: dict[str, set[str]] = collections.defaultdict(set)
    with events.open() as lines:
        for line in lines:
            scenario = json.loads(line).get("ScenarioFinished")
            if not scenario:
                continue
            recorder = scenario["recorder"]
            for case_checks in (recorder.get("checks") or {}).values():
                for check in case_checks:
                    ran[check["name"]].add(recorder["label"])
    return ran


@pytest.mark.served
def test_api_fuzzing_finds_no_errors(
    served: str, served_log: Callable[[], str], make_user: Any, tmp_path: Path
) -> None:
    examples = os.environ.get("MAKERLAB_FUZZ_EXAMPLES", "10")
    cli = str(Path(sys.executable).parent / "schemathesis")
    failures = []
    for role in ROLES:
        user = make_user(role)
        token = issue_token(user, "fuzz")
        db.session.commit()
        summary_path, events_path = tmp_path / f"{role}.json", tmp_path / f"{role}.ndjson"
        result = subprocess.run(
            [
                cli,
                "run",
                f"{served}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                ",".join(CHECKS),
                "--max-examples",
                examples,
                "--phases",
                "examples,fuzzing",
                "--generation-deterministic",
                "--workers",
                "2",
                "--request-timeout",
                "30",
                "--suppress-health-check",
                "all",
                "--exclude-path",
                "/api/v1/auth/token",
                "--report",
                "json,ndjson",
                "--report-json-path",
                str(summary_path),
                "--report-ndjson-path",
                str(events_path),
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=400,
        )
        codes = FAILURE_CODE.findall(result.stdout)
        if codes:
            failures.append(f"--- {role}: {sorted(set(codes))} ---\n{result.stdout[-8000:]}")
        elif result.returncode != 0:
            # Network errors on a loaded machine are reported, not failed on; a
            # crash of the app shows up in its log, checked below.
            print(f"--- {role}: schemathesis exit {result.returncode} ---\n{result.stdout[-3000:]}")
        assert summary_path.exists(), f"{role}: no schemathesis report\n{result.stdout[-3000:]}"
        operations = json.loads(summary_path.read_text())["operations"]["selected"]
        ran = checks_run(events_path)
        unchecked = {check: operations - len(ran.get(check, ())) for check in CHECKS}
        assert operations > 0 and not any(unchecked.values()), (
            f"{role}: of {operations} operations, these many were never checked: {unchecked}"
        )
    server_log = served_log()
    assert "unhandled error" not in server_log, server_log[-6000:]
    assert not failures, "\n".join(failures)
