"""Validate YAML documents against a JSON Schema (Draft 7), printing one finding per line.

Usage: schema_check.py SCHEMA.json FILE.yaml [FILE.yaml ...]

Exit code 0 when every document validates, 1 when any finding was printed,
2 when the schema itself cannot be read (a missing schema is an error, never a pass).
"""

import json
import sys

import jsonschema
import yaml


def main(argv):
    if len(argv) < 3:
        print("usage: schema_check.py SCHEMA FILE...", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            schema = json.load(handle)
    except OSError as err:
        print(f"cannot read schema {argv[1]}: {err}", file=sys.stderr)
        return 2
    validator = jsonschema.Draft7Validator(schema)
    findings = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as handle:
            for index, document in enumerate(yaml.safe_load_all(handle)):
                if document is None:
                    continue
                for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
                    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
                    print(f"{path}: document {index}: {where}: {error.message}")
                    findings += 1
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
