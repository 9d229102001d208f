"""Run checkov offline over a directory for some frameworks and print each failed check on one line.

Usage: checkov_run.py DIR FRAMEWORK [FRAMEWORK ...]

Exit code 0 when no check failed, 1 when some did, 2 when checkov itself failed.
"""

import json
import subprocess
import sys
import os


def main(argv):
    directory, frameworks = argv[1], argv[2:]
    checkov = os.path.join(os.path.dirname(sys.executable), "checkov")
    command = [checkov, "-d", directory, "--framework", *frameworks, "--skip-download", "--quiet", "--compact", "-o", "json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if not result.stdout.strip():
        print(result.stderr, file=sys.stderr)
        return 2
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout[:2000], file=sys.stderr)
        print(result.stderr[-2000:], file=sys.stderr)
        return 2
    if isinstance(reports, dict):
        reports = [reports]
    findings = 0
    for report in reports:
        if not isinstance(report, dict) or "results" not in report:
            continue
        for failed in report["results"].get("failed_checks", []):
            where = failed.get("file_path", "?").lstrip("/")
            lines = failed.get("file_line_range") or ["?"]
            print(f"{where}:{lines[0]}: {failed['check_id']} {failed.get('check_name', '')} [{failed.get('resource', '')}]")
            findings += 1
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
