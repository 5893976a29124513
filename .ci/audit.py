#!/usr/bin/env python3
# ruff: noqa: T201  (a CI script: it talks on stdout)
"""CI's dependency audit: pip-audit over the installed environment, judged (ADR 0009).

- A known vulnerability in any installed package fails the build (exit 1).
- The project itself is skipped (installed editable; it is not on PyPI).
- When the vulnerability service cannot answer for some packages (a network that blocks
  PyPI's per-version JSON, or an outage), the audit is incomplete: that is printed as a
  loud warning naming how many packages went unchecked, and it fails the build
  - when SHANZHI_AUDIT_REQUIRED=1 (release builds, machines with full network), or
  - when this machine has completed an audit before (a stamp in the data folder) and has
    not managed one for SHANZHI_AUDIT_GRACE_DAYS (7): a hiccup passes with a warning, a
    lasting outage does not pass for ever.

Usage: audit.py [--report pip-audit.json] [--stamp FILE]  (without --report, pip-audit runs)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

DAY = 86400


def run_pip_audit() -> dict:
    venv_bin = Path(sys.executable).parent
    command = [str(venv_bin / "pip-audit"), "--vulnerability-service", "pypi", "--skip-editable",
               "--progress-spinner", "off", "--format", "json", "--timeout", "30"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"pip-audit did not run: {exc}"}
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": (done.stderr or done.stdout).strip()[-2000:] or f"pip-audit exited {done.returncode}"}


def judge(report: dict, stamp: Path, now: float) -> int:
    if "error" in report:
        vulnerable, audited, unchecked = [], 0, [("all", report["error"])]
    else:
        deps = report.get("dependencies", [])
        vulnerable = [d for d in deps if d.get("vulns")]
        audited = sum(1 for d in deps if "skip_reason" not in d)
        # The project itself is not on PyPI (skipped already when installed editable).
        unchecked = [(d["name"], d["skip_reason"]) for d in deps if "skip_reason" in d and d["name"] != "shanzhi"]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            print(f"VULNERABLE: {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
    if vulnerable:
        print(f"dependency audit: {len(vulnerable)} vulnerable package(s); upgrade them (pyproject.toml).")
        return 1
    if not unchecked:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(str(int(now)))
        print(f"dependency audit: {audited} packages checked, no known vulnerabilities.")
        return 0
    print("=" * 78)
    print(f"WARNING: dependency audit INCOMPLETE: {len(unchecked)} package(s) could not be checked, "
          f"{audited} were.")
    print(f"  first reason: {unchecked[0][0]}: {unchecked[0][1]}")
    print("  (PyPI's per-version JSON or the network did not answer; see docs/adr/0009-security.md)")
    print("=" * 78)
    if os.environ.get("SHANZHI_AUDIT_REQUIRED") == "1":
        print("dependency audit: SHANZHI_AUDIT_REQUIRED=1, so an incomplete audit fails.")
        return 1
    grace = int(os.environ.get("SHANZHI_AUDIT_GRACE_DAYS", "7"))
    if stamp.exists():
        age_days = (now - float(stamp.read_text().strip() or 0)) / DAY
        if age_days > grace:
            print(f"dependency audit: the last complete audit here was {age_days:.0f} days ago "
                  f"(more than {grace}); failing until the service answers again.")
            return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path, help="judge this pip-audit JSON report instead of running it")
    data_dir = Path(os.environ.get("SHANZHI_DATA_DIR", ".ci-data"))
    parser.add_argument("--stamp", type=Path, default=data_dir / "pip-audit-complete")
    args = parser.parse_args()
    report = json.loads(args.report.read_text()) if args.report else run_pip_audit()
    return judge(report, args.stamp, time.time())


if __name__ == "__main__":
    sys.exit(main())
