"""Validate every document of kustomize builds strictly: core kinds with kubernetes-validate, custom resources with their CRD JSON schema.

Usage: k8s_validate.py VERSION [--crd APIVERSION KIND SCHEMA]... -- DIR [DIR ...]

Each DIR is built with `kubectl kustomize`. A document whose apiVersion and kind
are listed with --crd is validated against that JSON schema (Draft 7); every
other document goes to `kubernetes_validate.validate(doc, VERSION, strict=True)`,
and a kind it has no schema for is a finding, not a skip.

Prints one finding per line. Exit code 0 when clean, 1 with findings, 2 when
the tooling itself failed.
"""

import json
import subprocess
import sys

import jsonschema
import kubernetes_validate
import yaml


def parse(argv):
    version = argv[1]
    crds = {}
    dirs = []
    i = 2
    while i < len(argv):
        if argv[i] == "--crd":
            crds[(argv[i + 1], argv[i + 2])] = argv[i + 3]
            i += 4
        elif argv[i] == "--":
            dirs = argv[i + 1:]
            break
        else:
            raise SystemExit(f"unexpected argument {argv[i]}")
    return version, crds, dirs


def main(argv):
    version, crds, dirs = parse(argv)
    validators = {}
    for key, path in crds.items():
        with open(path, encoding="utf-8") as handle:
            validators[key] = jsonschema.Draft7Validator(json.load(handle))
    findings = []
    for directory in dirs:
        build = subprocess.run(["kubectl", "kustomize", directory], capture_output=True, text=True, check=False)
        if build.returncode != 0:
            findings.append(f"{directory}: kubectl kustomize failed: {build.stderr.strip()}")
            continue
        for doc in yaml.safe_load_all(build.stdout):
            if not doc:
                continue
            api_version, kind = doc.get("apiVersion", "?"), doc.get("kind", "?")
            name = (doc.get("metadata") or {}).get("name", "?")
            where = f"{directory}: {kind}/{name}"
            if (api_version, kind) in validators:
                for error in validators[(api_version, kind)].iter_errors(doc):
                    path = "/".join(str(p) for p in error.absolute_path)
                    findings.append(f"{where}: {path}: {error.message}")
                continue
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                findings.append(f"{where}: no schema for {api_version} {kind} in Kubernetes {version} (not an allowed custom resource)")
            except kubernetes_validate.ValidationError as error:
                path = "/".join(str(p) for p in error.path)
                findings.append(f"{where}: {path}: {error.message}")
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
