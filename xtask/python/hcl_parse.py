"""Parse every .tf file with python-hcl2, printing one finding per file that fails.

Usage: hcl_parse.py FILE.tf [FILE.tf ...]   (run with the python-hcl2 venv, not checkov's)
"""

import sys

import hcl2


def main(paths):
    findings = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                hcl2.load(handle)
        except Exception as err:  # noqa: BLE001 - any parse failure is a finding
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            print(f"{path}: {first}")
            findings += 1
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
