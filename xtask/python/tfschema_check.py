#!/usr/bin/env python3
# Vendored from the workplace validators folder (shared/validators/tfschema_check.py) so the
# conformance harness runs on a fresh clone; unchanged but for these comment lines,
# PACKAGE_SETS, which follows the provider pins scaffold renders (helm added for the platform roots),
# ephemeral resources taking for_each and count like resources (Terraform 1.10), and the
# `cdktn` key of package.json that newer CDK Terrain packages use instead of `cdktf`.
"""Offline Terraform schema checker: the closest thing to `terraform validate` without `terraform init`.

Provider schemas come from prebuilt CDK-for-Terraform provider packages: HashiCorp's cdktf
(@cdktf/provider-*, npm; deprecated, last release Dec 2025 at aws 6.25 / google 6.50 / azurerm 4.55 /
kubernetes 2.38) and its maintained fork CDK Terrain (@cdktn/provider-* on npm; cdktn-provider-* on
PyPI, whose wheels carry the same npm tarball as _jsii/*.jsii.tgz). Each ships a jsii assembly
(`.jsii`, JSON, possibly gzip-compressed behind a `jsii/file-redirect`) describing every resource and
data-source config struct (camelCase properties, optional or not, block or attribute) and compiled JS
whose `*ToHclTerraform` functions and `synthesizeHclAttributes()` methods map each camelCase property
to its exact Terraform name, with its value type. Class getters (`getStringAttribute('arn')`,
`new XList(this, "identity")`) give the readable (incl. computed) attributes for reference checks.

Setup (once; nothing here needs terraform or provider binaries):
    python3 -m venv "$TFSCHEMA_HOME/venv" && "$TFSCHEMA_HOME/venv/bin/pip" install python-hcl2==8.1.4
    "$TFSCHEMA_HOME/venv/bin/python" tfschema_check.py --install [--set latest|min]
($TFSCHEMA_HOME defaults to <tempdir>/tfschema; --install runs `npm pack` / `pip download --no-deps`
for the PACKAGE_SETS below, ~150 MB each, about a minute.) Later runs may use any python: the script
re-executes itself under $TFSCHEMA_HOME/venv when `hcl2` is not importable. The first run against a
package set extracts compact schemas into --schema-cache (schema-<provider>-<version>.json, about
35 s for the five providers); later runs load them in under a second.

Usage:
    tfschema_check.py [--set latest|min] [--packages DIRS] [--schema-cache DIR] [--rebuild-schema]
                      [--no-refs] [--json FILE] [-q] DIR...
    tfschema_check.py --self-test        # a planted configuration: 13 expected findings, nothing else

Checks, in every module (directory) with .tf files under DIR:
  * resource / data / provider blocks: unknown type; unknown argument or nested block at any depth
    (meta-arguments, lifecycle, provisioner, connection and `dynamic` handled); an argument written as
    a block or a block written as an argument; read-only (computed-only) attributes set (warning);
    missing required arguments and nested blocks; more than one block where the schema allows one;
    a constant of the wrong type (list for a string, "abc" for a number, ...); keys of object literals
    given to object-typed attributes; `lifecycle.ignore_changes` naming something the resource lacks;
    `provider = x.alias` naming an undeclared provider configuration;
  * module calls with a local source: the directory exists, every argument is a declared variable
    (constants type-checked against simple `type` constraints), every variable without a default is
    passed, every configuration_aliases entry is passed in `providers`;
  * terraform.tfvars / *.auto.tfvars: keys are declared variables (warning), constants fit the type;
  * duplicate resources, data sources, variables, outputs, locals, module calls, provider configs;
  * references (unless --no-refs): `var.x`, `local.x`, `module.m`, `module.m.output` (local modules),
    `aws_x.n` and `data.aws_x.n` declared in the module; the attributes read from a resource or data
    source exist in its schema, nested ones included; `each.*` only with for_each, `count.index` only
    with count; calls to unknown built-in functions.
Not checked (terraform validate asks the provider for these): ConflictsWith / ExactlyOneOf /
AtLeastOneOf / value validators, deprecations, and the types of non-constant expressions.

Output: one finding per line `path:resource_type.name: message (line N)` (warnings say so), then a count
line. Notes (schema versions versus the required_providers constraints, providers without a schema)
go to stderr. Exit status 1 when there are findings, 0 otherwise, 2 on usage errors.
"""
import argparse
import glob
import gzip
import json
import os
import re
import sys
import tempfile
import time

HOME = os.environ.get("TFSCHEMA_HOME", os.path.join(tempfile.gettempdir(), "tfschema"))
SCHEMA_FORMAT = 4

try:
    import hcl2  # noqa: F401
except ImportError:  # re-exec under the venv that has python-hcl2
    venv_py = os.path.join(HOME, "venv", "bin", "python")
    if os.path.exists(venv_py) and os.path.realpath(sys.prefix) != os.path.realpath(os.path.join(HOME, "venv")) \
            and not os.environ.get("TFSCHEMA_REEXEC"):
        os.environ["TFSCHEMA_REEXEC"] = "1"
        os.execv(venv_py, [venv_py] + sys.argv)
    sys.stderr.write("tfschema_check: python-hcl2 is not installed (pip install python-hcl2==8.1.4)\n")
    sys.exit(2)
from lark import Token, Tree  # noqa: E402  (comes with python-hcl2)


# ----------------------------------------------------------------------------------------------
# Schema extraction from cdktf provider packages
# ----------------------------------------------------------------------------------------------
#
# Compact schema format, per provider:
#   {"name": "aws", "source": "registry.terraform.io/hashicorp/aws", "version": "6.25.0",
#    "package": "@cdktf/provider-aws@21.22.1",
#    "provider": NODE, "resources": {type: NODE}, "data": {type: NODE}}
# NODE = {"a": {tf_name: [kind, required, nesting, NODE|None, value_type, single]}, "o": REF}
#   kind: "a" attribute, "b" nested block, "n" object-typed attribute (nested attribute or SDKv2
#         attribute-as-block; either syntax is accepted), "x" block whose content cdktf does not
#         describe (not checked inside)
#   nesting: cdktf's HCL type: simple | list | set | map | struct
#   value_type: cdktf's storageClassType of an attribute (string, number, boolean, stringList, stringMap, ...)
#   single: 1 for a block/object that takes at most one element (MaxItems 1 or single nesting)
# REF = {tf_name: REF|0}: every readable attribute (arguments and computed), with the nested
#   readable attributes of object-typed ones (only on resource/data nodes).

FN_RE = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{\n(.*?)^\}", re.M | re.S)
FN_PLAIN_RE = re.compile(r"^function (\w+)ToTerraform\(struct\) \{\n(.*?)^\}", re.M | re.S)
CLASS_RE = re.compile(r"^class (\w+) extends ([\w.]+) \{\n(.*?)^\}", re.M | re.S)
HCL_ENTRY_RE = re.compile(
    r"^\s+(\"[^\"]+\"|'[^']+'|[\w$]+): \{\s*\n\s*value: (.*?),\s*\n\s*isBlock: (true|false),\s*\n"
    r"\s*type: \"(\w+)\",\s*\n\s*storageClassType: \"(\w+)\",\s*\n\s*\}", re.M)
GETTER_RE = re.compile(r"\.(?:get\w*Attribute|interpolationForAttribute)\('([^']+)'\)")
NEWREF_RE = re.compile(r"new ([\w.]+)\(this, \"([^\"]+)\"")
ELEMENT_RE = re.compile(r"get\((?:index|key)\) \{\s*return new (\w+)\(")
CTOR_FLAGS_RE = re.compile(r"// (\S+) - computed: (true|false), optional: (true|false), required: (true|false)")


def _unquote(k):
    return k[1:-1] if k[:1] in "\"'" else k


def _struct_fqn(t):
    """The fqn of the struct a jsii type reference carries (through unions/collections), or None."""
    if not isinstance(t, dict):
        return None
    if "fqn" in t and not t["fqn"].startswith(("cdktf.", "cdktn.")):
        return t["fqn"]
    if "union" in t:
        for x in t["union"]["types"]:
            r = _struct_fqn(x)
            if r:
                return r
    if "collection" in t:
        return _struct_fqn(t["collection"]["elementtype"])
    return None


def _struct_is_single(t):
    """True when a jsii type carries a struct directly (cdktf's rendering of MaxItems=1 / single nesting)."""
    if not isinstance(t, dict):
        return False
    if "fqn" in t and not t["fqn"].startswith(("cdktf.", "cdktn.")):
        return True
    if "union" in t:
        return any(_struct_is_single(x) for x in t["union"]["types"])
    return False


def load_jsii(pkgdir):
    path = os.path.join(pkgdir, ".jsii")
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    doc = json.loads(raw)
    if doc.get("schema") == "jsii/file-redirect":  # {"filename": ".jsii.gz", "compression": "gzip"}
        target = os.path.join(pkgdir, doc["filename"])
        with open(target, "rb") as f:
            raw = f.read()
        if doc.get("compression") == "gzip" or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw)
    return doc


def extract_provider(pkgdir, log=lambda *a: None):
    """Extract the compact schema of one cdktf provider package directory."""
    with open(os.path.join(pkgdir, "package.json")) as f:
        pkg = json.load(f)
    prov = (pkg.get("cdktf") or pkg.get("cdktn") or {}).get("provider", {})
    source = prov.get("name", "")
    name = source.rsplit("/", 1)[-1] or pkg["name"].rsplit("provider-", 1)[-1]
    jsii = load_jsii(pkgdir)
    types = jsii["types"]

    # jsii structs and classes grouped by source directory (src/<dir>/...), keyed by name.
    # struct props: {camel property: (optional, is_block_doc, struct fqn)}
    structs_by_dir, config_of_class = {}, {}
    for fqn, t in types.items():
        loc = t.get("locationInModule", {}).get("filename", "")
        parts = loc.split("/")
        d = parts[1] if len(parts) > 2 else loc
        if t.get("kind") == "interface" and t.get("datatype"):
            props = {}
            for p in t.get("properties", []):
                summ = p.get("docs", {}).get("summary", "")
                props[p["name"]] = (bool(p.get("optional")), summ.endswith(" block."), _struct_fqn(p["type"]),
                                    _struct_is_single(p["type"]))
            structs_by_dir.setdefault(d, {})[t["name"]] = props
        elif t.get("kind") == "class":
            for prm in (t.get("initializer") or {}).get("parameters", []):
                if prm["name"] == "config" and "fqn" in prm.get("type", {}):
                    config_of_class[(d, t["name"])] = prm["type"]["fqn"].rsplit(".", 1)[-1]

    out = {"name": name, "source": source, "version": prov.get("version", "?"),
           "package": "%s@%s" % (pkg["name"], pkg["version"]), "provider": None,
           "resources": {}, "data": {}}
    stats = {"files": 0, "unmatched_props": 0}
    for libdir in sorted(glob.glob(os.path.join(pkgdir, "lib", "*", ""))):
        dname = os.path.basename(os.path.dirname(libdir))
        jsfiles = [os.path.join(libdir, "index.js")] + sorted(glob.glob(os.path.join(libdir, "*", "*.js")))
        if not os.path.exists(jsfiles[0]):
            continue
        src = ""
        for jf in jsfiles:
            with open(jf) as f:
                src += f.read() + "\n"
        # CDK Terrain (cdktn, the maintained cdktf fork) emits the same code under another module name
        src = src.replace("cdktn.", "cdktf.")
        classes = {m.group(1): (m.group(2), m.group(3)) for m in CLASS_RE.finditer(src)}
        main = None
        for cname, (base, body) in classes.items():
            if base in ("cdktf.TerraformResource", "cdktf.TerraformDataSource", "cdktf.TerraformProvider"):
                main = cname
                break
        if not main:
            continue
        stats["files"] += 1
        base, cbody = classes[main]
        m = re.search(r"^%s\.tfResourceType = \"([^\"]+)\";" % re.escape(main), src, re.M) \
            or re.search(r"^    static tfResourceType = \"([^\"]+)\";", cbody, re.M)
        if not m:
            continue
        tftype = m.group(1)
        file_structs = structs_by_dir.get(dname, {})
        by_lower = {k[:1].lower() + k[1:]: v for k, v in file_structs.items()}
        # private field -> config property (cdktf renames clashing ones: getPasswordData -> fetchPasswordData)
        field_to_prop = dict(re.findall(r"this\._(\w+)(?:\.internalValue)? = config\.(\w+);", cbody))

        # Struct functions: name -> list of entries
        fns = {}
        for fm in FN_RE.finditer(src):
            fns[fm.group(1)] = fm.group(2)
        plain = {}
        if not fns:
            for fm in FN_PLAIN_RE.finditer(src):
                plain[fm.group(1)] = fm.group(2)

        def entries_of(body, holder):
            """[(tf_name, camel, is_block, type, nested_fn, mapper_block_flag)]"""
            res = []
            for em in HCL_ENTRY_RE.finditer(body):
                key, value, isb, typ = _unquote(em.group(1)), em.group(2), em.group(3) == "true", em.group(4)
                cm = re.search(holder + r"(\w+)", value)
                camel = cm.group(1) if cm else None
                nm = re.search(r"(?<![\w.])(?:(?!cdktf\.)[a-zA-Z_]\w*\.)?(\w+)ToHclTerraform\b", value)
                mb = re.search(r"listMapperHcl\([\w.]+, (true|false)\)", value)
                res.append((key, camel, isb, typ, nm.group(1) if nm else None,
                            (mb.group(1) == "true") if mb else None, em.group(5)))
            return res

        def plain_entries_of(body, holder):
            res = []
            rm = re.search(r"return \{\n(.*?)\n\s*\};", body, re.S)
            if not rm:
                return res
            for line in rm.group(1).splitlines():
                lm = re.match(r"\s+(\"[^\"]+\"|[\w$]+): (.*?),?\s*$", line)
                if not lm:
                    continue
                key, value = _unquote(lm.group(1)), lm.group(2)
                cm = re.search(holder + r"(\w+)", value)
                nm = re.search(r"(?<![\w.])(?:(?!cdktf\.)[a-zA-Z_]\w*\.)?(\w+)ToTerraform\b", value)
                typ = "list" if "listMapper" in value else "map" if "hashMapper" in value else "simple"
                fm = re.search(r"cdktf\.(string|number|boolean)ToTerraform", value)
                sct = (fm.group(1) + ("List" if typ == "list" else "Map" if typ == "map" else "")) if fm else "any"
                res.append((key, cm.group(1) if cm else None, None, typ, nm.group(1) if nm else None, None, sct))
            return res

        def build(entries, props, depth, seen, fields=None):
            node = {}
            for key, camel, isb, typ, nfn, mapper_block, sct in entries:
                if fields and camel in fields:
                    camel = fields[camel]
                optional, doc_block, sfqn, single = props.get(camel, (True, False, None, False)) if camel \
                    else (True, False, None, False)
                if not camel or camel not in props:
                    stats["unmatched_props"] += 1
                    stats.setdefault("unmatched", []).append("%s:%s" % (tftype, key))
                sub = None
                if nfn and nfn not in seen and depth < 64:
                    sub_props = by_lower.get(nfn) or {}
                    if nfn in fns:
                        sub = build(entries_of(fns[nfn], r"struct\."), sub_props, depth + 1, seen | {nfn})
                    elif nfn in plain:
                        sub = build(plain_entries_of(plain[nfn], r"struct\."), sub_props, depth + 1, seen | {nfn})
                if nfn or sfqn:
                    if doc_block or mapper_block:
                        kind = "b"
                    else:
                        kind = "n"
                    if sub is None:
                        kind = "x" if kind == "b" else kind
                else:
                    kind = "b" if doc_block else "a"
                    if kind == "b":
                        kind = "x"
                node[key] = [kind, 0 if optional else 1, typ, {"a": sub} if sub is not None else None,
                             sct if kind == "a" else "", 1 if (single and kind in ("b", "n", "x")) else 0]
            return node

        cfg_name = config_of_class.get((dname, main), main + "Config")
        cfg_props = file_structs.get(cfg_name, {})
        sm = re.search(r"synthesizeHclAttributes\(\) \{\n(.*?)\n    \}", cbody, re.S)
        if sm:
            args = build(entries_of(sm.group(1), r"this\._"), cfg_props, 0, frozenset(), field_to_prop)
        else:
            sm = re.search(r"synthesizeAttributes\(\) \{\n(.*?)\n    \}", cbody, re.S)
            args = build(plain_entries_of(sm.group(1), r"this\._"), cfg_props, 0, frozenset(), field_to_prop) if sm else {}
        # cross-check required blocks against the constructor's "required: true" comments
        for cm in CTOR_FLAGS_RE.finditer(cbody):
            k, req = cm.group(1), cm.group(4) == "true"
            if k in args and req and not args[k][1]:
                args[k][1] = 1

        def refs_of(cls, depth, seen):
            if cls not in classes or depth > 12 or cls in seen:
                return 0
            base2, body2 = classes[cls]
            if base2 == "cdktf.ComplexMap":  # map of objects: next step is a key, not checked
                return 0
            if base2 == "cdktf.ComplexList":
                em = ELEMENT_RE.search(body2)
                return refs_of(em.group(1), depth, seen | {cls}) if em else 0
            r = {}
            for g in GETTER_RE.finditer(body2):
                r.setdefault(g.group(1), 0)
            for nmatch in NEWREF_RE.finditer(body2):
                child_cls, attr = nmatch.group(1), nmatch.group(2)
                r[attr] = refs_of(child_cls, depth + 1, seen | {cls}) if not child_cls.startswith("cdktf.") else 0
            return r

        node = {"a": args}
        if base != "cdktf.TerraformProvider":
            node["o"] = refs_of(main, 0, frozenset()) or {}
        if base == "cdktf.TerraformResource":
            out["resources"][tftype] = node
        elif base == "cdktf.TerraformDataSource":
            out["data"][tftype] = node
        else:
            out["provider"] = node
    log("  %s %s: %d resources, %d data sources (%d files, %d unmatched props%s)" % (
        name, out["version"], len(out["resources"]), len(out["data"]), stats["files"], stats["unmatched_props"],
        (": " + ", ".join(stats["unmatched"][:8])) if stats.get("unmatched") else ""))
    return out


# Provider packages per set. "latest": recent releases inside the scaffold's pins (aws ~> 6.0, google ~> 7.0,
# azurerm ~> 4.67, kubernetes ~> 3.0, random ~> 3.7, helm ~> 3.1): what `terraform init` would pick today. "min": the
# oldest releases inside those pins that a cdktf/cdktn package exists for (aws 6.0.0, google 7.31.0,
# azurerm 4.67.0, kubernetes 3.1.0, random 3.7.2): a type or argument newer than the pin's floor shows here.
# cdktf (hashicorp, deprecated, last release Dec 2025) stops at aws 6.25, google 6.50, azurerm 4.55,
# kubernetes 2.38; CDK Terrain (cdktn, its maintained fork) continues on npm and, for google/kubernetes,
# only on PyPI, whose wheels carry the npm tarball as _jsii/*.jsii.tgz.
PACKAGE_SETS = {
    "latest": [("npm", "@cdktn/provider-aws", "25.7.0"),          # aws 6.66.0
               ("npm", "@cdktn/provider-azurerm", "16.1.0"),      # azurerm 4.73.0
               ("npm", "@cdktn/provider-random", "15.0.1"),       # random 3.9.1
               ("pypi", "cdktn-provider-google", "20.3.1"),        # google 7.46.1 (21.x is google 8)
               ("pypi", "cdktn-provider-kubernetes", "17.1.0"),    # kubernetes 3.4.0
               ("pypi", "cdktn-provider-helm", "15.1.0")],         # helm 3.3.0
    "min": [("npm", "@cdktf/provider-aws", "21.0.0"),              # aws 6.0.0
            ("pypi", "cdktn-provider-azurerm", "15.7.0"),          # azurerm 4.67.0 (the Azure pin's floor: the first
                                                                   # release with resource_provider_feature_registration)
            ("npm", "@cdktf/provider-random", "12.0.1"),           # random 3.7.2
            ("pypi", "cdktn-provider-google", "19.0.0"),           # google 7.31.0 (earliest 7.x package)
            ("pypi", "cdktn-provider-kubernetes", "15.0.0"),       # kubernetes 3.1.0
            ("pypi", "cdktn-provider-helm", "12.2.0")],            # helm 3.1.1 (no 3.1.0 package; ~> 3.1 admits 3.1.x)
}


def install_set(name, log=print):
    """Download one package set with npm/pip (no install scripts, no dependencies) and unpack it."""
    import shutil
    import subprocess
    import tarfile
    import zipfile
    dest = os.path.join(HOME, name, "pkgs")
    dl = os.path.join(HOME, name, "download")
    os.makedirs(dest, exist_ok=True)
    os.makedirs(dl, exist_ok=True)
    for kind, pkg, ver in PACKAGE_SETS[name]:
        t0 = time.time()
        if kind == "npm":
            out = subprocess.run(["npm", "pack", "--silent", "--pack-destination", dl, "%s@%s" % (pkg, ver)],
                                 check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            tgz = os.path.join(dl, out)
        else:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", dl,
                            "%s==%s" % (pkg, ver)], check=True)
            whl = glob.glob(os.path.join(dl, "%s-%s-*.whl" % (pkg.replace("-", "_"), ver)))[0]
            with zipfile.ZipFile(whl) as z:
                inner = [n for n in z.namelist() if n.endswith(".jsii.tgz")][0]
                tgz = os.path.join(dl, os.path.basename(inner))
                with open(tgz, "wb") as f:
                    f.write(z.read(inner))
            os.remove(whl)
        with tarfile.open(tgz) as tf:
            with tf.extractfile("package/package.json") as f:
                meta = json.load(f)
            prov = (meta.get("cdktf") or meta["cdktn"])["provider"]  # CDK Terrain packages say "cdktn"
            target = os.path.join(dest, "provider-" + prov["name"].rsplit("/", 1)[-1])
            shutil.rmtree(target, ignore_errors=True)
            members = []
            for m in tf.getmembers():
                if m.name.startswith("package/") and (m.isfile() or m.isdir()) and ".." not in m.name:
                    m.name = m.name[len("package/"):]
                    if m.name:
                        members.append(m)
            tf.extractall(target, members=members)
        os.remove(tgz)
        log("  %s %s@%s -> %s %s (%.0fs)" % (kind, pkg, ver, prov["name"], prov["version"], time.time() - t0))
    shutil.rmtree(dl, ignore_errors=True)
    return dest


def load_schemas(cache_dir, packages_dir, rebuild=False, log=lambda *a: None, set_name=None):
    """Load every provider schema: from cache_dir/schema-<name>-<version>.json, else extract.

    With no package directory at hand, the versions last used for set_name (index-<set>.json) are
    loaded from the cache, or else the newest cached version of each provider."""
    schemas = {}
    os.makedirs(cache_dir, exist_ok=True)
    pkgdirs = []
    for pd in (packages_dir or "").split(os.pathsep):
        if pd and os.path.isdir(pd):
            pkgdirs += sorted(glob.glob(os.path.join(pd, "provider-*")))
    for pkgdir in pkgdirs:
        try:
            with open(os.path.join(pkgdir, "package.json")) as f:
                pkg = json.load(f)
        except OSError:
            continue
        prov = (pkg.get("cdktf") or pkg.get("cdktn") or {}).get("provider", {})
        name = prov.get("name", "").rsplit("/", 1)[-1]
        if not name or name in schemas:  # the first package directory that has a provider wins
            continue
        cache = os.path.join(cache_dir, "schema-%s-%s.json" % (name, prov.get("version", "x")))
        data = None
        if not rebuild and os.path.exists(cache):
            with open(cache) as f:
                data = json.load(f)
            if data.get("format") != SCHEMA_FORMAT or data.get("package") != "%s@%s" % (pkg["name"], pkg["version"]):
                data = None
        if data is None:
            t0 = time.time()
            data = extract_provider(pkgdir, log)
            data["format"] = SCHEMA_FORMAT
            tmp = cache + ".tmp"
            with open(tmp, "w") as f:
                json.dump(data, f, separators=(",", ":"), sort_keys=True)
            os.replace(tmp, cache)
            log("  extracted %s in %.1fs -> %s" % (name, time.time() - t0, cache))
        schemas[data["name"]] = data
    index = os.path.join(cache_dir, "index-%s.json" % set_name) if set_name else None
    if pkgdirs and index and schemas:
        with open(index, "w") as f:
            json.dump({k: v["version"] for k, v in schemas.items()}, f)
    if not pkgdirs and index and os.path.exists(index):
        with open(index) as f:
            wanted = json.load(f)
        for name, version in wanted.items():
            cache = os.path.join(cache_dir, "schema-%s-%s.json" % (name, version))
            if os.path.exists(cache):
                with open(cache) as f:
                    data = json.load(f)
                if data.get("format") == SCHEMA_FORMAT:
                    schemas[name] = data
    if not pkgdirs and not schemas:  # no packages: whatever is cached, the newest version of each provider
        def vkey(d):
            return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.-]", d.get("version", "0")))
        for cache in sorted(glob.glob(os.path.join(cache_dir, "schema-*.json"))):
            with open(cache) as f:
                data = json.load(f)
            if data.get("format") == SCHEMA_FORMAT and (
                    data["name"] not in schemas or vkey(data) > vkey(schemas[data["name"]])):
                schemas[data["name"]] = data
    return schemas


# Terraform's built-in provider (terraform.io/builtin/terraform), not shipped by cdktf.
BUILTIN = {
    "name": "terraform", "source": "terraform.io/builtin/terraform", "version": "builtin",
    "provider": {"a": {}},
    "resources": {"terraform_data": {
        "a": {"input": ["a", 0, "simple", None, "any", 0], "triggers_replace": ["a", 0, "simple", None, "any", 0]},
        "o": {"id": 0, "input": 0, "output": 0, "triggers_replace": 0}}},
    "data": {"terraform_remote_state": {
        "a": {"backend": ["a", 1, "simple", None, "string", 0], "config": ["a", 0, "simple", None, "any", 0],
              "defaults": ["a", 0, "simple", None, "any", 0], "workspace": ["a", 0, "simple", None, "string", 0]},
        "o": {"backend": 0, "config": 0, "defaults": 0, "outputs": 0, "workspace": 0}}},
}


# ----------------------------------------------------------------------------------------------
# HCL helpers over python-hcl2's raw Lark tree (positions propagated)
# ----------------------------------------------------------------------------------------------

TRAV = ("get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term")
RESOURCE_META_ATTRS = {"count", "for_each", "provider", "depends_on"}
RESOURCE_META_BLOCKS = {"lifecycle", "provisioner", "connection"}
MODULE_META_ATTRS = {"source", "version", "providers", "count", "for_each", "depends_on"}
LIFECYCLE_ATTRS = {"create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"}
LIFECYCLE_BLOCKS = {"precondition", "postcondition"}
# Terraform's built-in functions (1.10 - 1.14); provider-defined ones (provider::x::f) are not checked.
KNOWN_FUNCTIONS = set("""
abs abspath alltrue anytrue base64decode base64encode base64gzip base64sha256 base64sha512 basename bcrypt can ceil
chomp chunklist cidrhost cidrnetmask cidrsubnet cidrsubnets coalesce coalescelist compact concat contains csvdecode
dirname distinct element endswith ephemeralasnull file filebase64 filebase64sha256 filebase64sha512 fileexists filemd5
fileset filesha1 filesha256 filesha512 flatten floor format formatdate formatlist indent index issensitive join
jsondecode jsonencode keys length log lookup lower matchkeys max md5 merge min nonsensitive one parseint pathexpand
plantimestamp pow range regex regexall replace reverse rsadecrypt sensitive setintersection setproduct setsubtract
setunion sha1 sha256 sha512 signum slice sort split startswith strcontains strrev substr sum templatefile
templatestring textdecodebase64 textencodebase64 timeadd timecmp timestamp title tobool tolist tomap tonumber toset
tostring transpose trim trimprefix trimspace trimsuffix try upper urlencode uuid uuidv5 values yamldecode yamlencode
zipmap""".split())

# Provider arguments the provider requires although cdktf marks every provider argument optional.
PROVIDER_REQUIRED = {"azurerm": {"features"}}
NON_REF_ROOTS = {"each", "count", "self", "path", "terraform", "null", "true", "false"}


def _tok(node):
    """Text of an identifier/keyword/literal_value tree or token."""
    if isinstance(node, Token):
        return str(node)
    if isinstance(node, Tree) and node.children:
        return _tok(node.children[0])
    return ""


def _string_literal(node):
    """The value of a string tree without interpolation, else None."""
    if not (isinstance(node, Tree) and node.data == "string"):
        return None
    out = []
    for c in node.children:
        if isinstance(c, Token):
            continue
        if c.data != "string_part" or not isinstance(c.children[0], Token) or c.children[0].type != "STRING_CHARS":
            return None
        out.append(str(c.children[0]))
    return "".join(out)


def _unwrap(expr):
    """expr_term(x) -> x (one level, not through parentheses)."""
    while isinstance(expr, Tree) and expr.data == "expr_term" and len(expr.children) == 1 \
            and isinstance(expr.children[0], Tree):
        expr = expr.children[0]
    return expr


def _line(node, default=0):
    try:
        return node.meta.line
    except AttributeError:
        return getattr(node, "line", default)


class Block:
    __slots__ = ("type", "labels", "body", "line")

    def __init__(self, type_, labels, body, line):
        self.type, self.labels, self.body, self.line = type_, labels, body, line


class Attr:
    __slots__ = ("name", "expr", "line")

    def __init__(self, name, expr, line):
        self.name, self.expr, self.line = name, expr, line


def body_items(body):
    """Attributes and blocks of a body tree, in order."""
    items = []
    for c in body.children:
        if not isinstance(c, Tree):
            continue
        if c.data == "attribute":
            items.append(Attr(_tok(c.children[0]), c.children[-1], _line(c)))
        elif c.data == "block":
            labels, inner = [], None
            for x in c.children:
                if isinstance(x, Tree) and x.data == "body":
                    inner = x
                elif isinstance(x, Tree) and x.data == "string":
                    labels.append(_string_literal(x) or "")
                elif isinstance(x, Tree) and x.data in ("identifier", "keyword", "literal_value"):
                    labels.append(_tok(x))
            items.append(Block(labels[0], labels[1:], inner, _line(c)))
    return items


def object_keys(expr):
    """[(key, line)] of an object-constructor expression, or None when it is not one."""
    e = _unwrap(expr)
    if not (isinstance(e, Tree) and e.data == "object"):
        return None
    keys = []
    for el in e.children:
        if isinstance(el, Tree) and el.data == "object_elem":
            k = _unwrap(el.children[0].children[0]) if el.children[0].children else None
            if isinstance(k, Tree) and k.data in ("identifier", "keyword"):
                keys.append((_tok(k), _line(el)))
            elif isinstance(k, Tree) and k.data == "string" and _string_literal(k) is not None:
                keys.append((_string_literal(k), _line(el)))
            else:
                keys.append((None, _line(el)))  # computed key: unknown
    return keys


def tuple_items(expr):
    e = _unwrap(expr)
    if isinstance(e, Tree) and e.data == "tuple":
        return [c for c in e.children if isinstance(c, Tree)]
    return None


NUMBER_RE = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def literal_kind(expr):
    """(kind, literal text) of a constant expression: string, number, bool, null, tuple, object; else None."""
    e = _unwrap(expr)
    if not isinstance(e, Tree):
        return None
    d = e.data
    if d == "string":
        parts = [c for c in e.children if isinstance(c, Tree)]
        if len(parts) == 1 and parts[0].children and isinstance(parts[0].children[0], Tree) \
                and parts[0].children[0].data == "interpolation":
            return None  # "${x}" has the type of x
        return ("string", _string_literal(e))
    if d in ("heredoc_template", "heredoc_template_trim"):
        return ("string", None)
    if d in ("int_lit", "float_lit"):
        return ("number", _tok(e))
    if d == "unary_op" and len(e.children) == 2 and _tok(e.children[0]) == "-":
        inner = literal_kind(e.children[1])
        return ("number", None) if inner and inner[0] == "number" else None
    if d == "literal_value":
        v = _tok(e)
        return ("null", v) if v == "null" else ("bool", v)
    if d == "tuple":
        return ("tuple", None)
    if d == "object":
        return ("object", None)
    return None


def type_mismatch(want, expr):
    """Why a constant expression cannot convert to a schema/variable type, or None.

    want: a cdktf storageClassType (string, number, boolean, stringList, stringMap, ...) or a variable
    type kind (string, number, bool, tuple, object)."""
    lk = literal_kind(expr)
    if not want or want in ("any", "") or lk is None or lk[0] == "null":
        return None
    kind, lit = lk
    shown = {"tuple": "a list/tuple", "object": "an object/map", "string": "a string", "number": "a number",
             "bool": "a bool"}[kind]
    if want == "string":
        bad = kind in ("tuple", "object")
    elif want == "number":
        bad = kind in ("tuple", "object", "bool") or (kind == "string" and lit is not None and not NUMBER_RE.fullmatch(lit))
    elif want in ("boolean", "bool"):
        bad = kind in ("tuple", "object", "number") or (kind == "string" and lit is not None and lit not in ("true", "false"))
    elif want == "tuple" or want.endswith("List") or want.endswith("Set"):
        bad = kind != "tuple"
        if not bad and want in ("stringList", "numberList", "booleanList"):
            for el in tuple_items(expr) or []:
                why = type_mismatch(want[:-4], el)
                if why:
                    return "an element is " + why
    elif want == "object" or want.endswith("Map"):
        bad = kind != "object"
    else:
        return None
    if not bad:
        return None
    need = {"string": "a string", "number": "a number", "boolean": "a bool", "bool": "a bool", "tuple": "a list",
            "object": "an object/map"}.get(want) or ("a list" if want.endswith(("List", "Set")) else "a map")
    return "%s where %s is required" % (shown + (" (%s)" % json.dumps(lit) if kind == "string" and lit is not None
                                                 and len(lit) < 40 else ""), need)


def variable_type_kind(expr):
    e = _unwrap(expr)
    if isinstance(e, Tree) and e.data == "identifier":
        t = _tok(e)
        return t if t in ("string", "number", "bool") else None
    if isinstance(e, Tree) and e.data == "function_call":
        f = _tok(e.children[0])
        return {"list": "tuple", "set": "tuple", "tuple": "tuple", "map": "object", "object": "object"}.get(f)
    return None


def _flatten(node):
    """A traversal chain -> (base expr, [steps]). Steps: ("attr", name) | ("index", expr|None) | ("splat",)."""
    steps = []
    cur = node
    while True:
        if isinstance(cur, Tree) and cur.data in TRAV:
            base, op = cur.children[0], cur.children[1]
            if cur.data == "get_attr_expr_term":
                steps.append([("attr", _tok(op.children[1]))])
            elif cur.data == "index_expr_term":
                if op.data == "braces_index":
                    inner = [x for x in op.children if isinstance(x, Tree) and x.data != "new_line_or_comment"]
                    steps.append([("index", inner[0] if inner else None)])
                else:
                    steps.append([("index", None)])
            else:  # splats carry their own trailing get_attr/index
                sub = [("splat",)]
                for x in op.children:
                    if isinstance(x, Tree):
                        if x.data == "get_attr":
                            sub.append(("attr", _tok(x.children[1])))
                        else:
                            sub.append(("index", None))
                steps.append(sub)
            cur = base
        elif isinstance(cur, Tree) and cur.data == "expr_term" and len(cur.children) == 1 \
                and isinstance(cur.children[0], Tree) and cur.children[0].data in TRAV:
            cur = cur.children[0]
        else:
            break
    flat = []
    for group in reversed(steps):
        flat.extend(group)
    return cur, flat


def _heredoc_exprs(text):
    """Parse the ${...} interpolations of a heredoc body into expression trees."""
    out = []
    i = 0
    while True:
        i = text.find("${", i)
        if i < 0:
            break
        if i > 0 and text[i - 1] == "$":
            i += 2
            continue
        depth, j, quote = 1, i + 2, False
        while j < len(text) and depth:
            ch = text[j]
            if quote:
                if ch == "\\":
                    j += 1
                elif ch == '"':
                    quote = False
            elif ch == '"':
                quote = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            j += 1
        inner = text[i + 2:j - 1].strip().lstrip("~").rstrip("~")
        i = j
        try:
            t = hcl2.parses_to_tree("x = (%s)\n" % inner)
            items = body_items(t.children[0])
            if items:
                out.append(items[0].expr)
        except Exception:
            pass
    return out


def _function_calls(node):
    """Every function_call tree under a node (heredoc interpolations included)."""
    out = []

    def walk(n):
        if isinstance(n, Token):
            if n.type in ("HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"):
                for e in _heredoc_exprs(str(n)):
                    walk(e)
            return
        if isinstance(n, Tree):
            if n.data == "function_call":
                out.append(n)
            for c in n.children:
                walk(c)
    walk(node)
    return out


def references(expr, line=0):
    """Yield (root, steps, line) for every traversal in an expression, plus for/template local names."""
    refs, local_names = [], set()

    def walk(n, ln):
        if isinstance(n, Token):
            if n.type in ("HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"):
                for e in _heredoc_exprs(str(n)):
                    walk(e, getattr(n, "line", ln))
            return
        if not isinstance(n, Tree):
            return
        ln = _line(n, ln)
        if n.data in ("for_intro", "template_for_start"):
            for x in n.children:
                if isinstance(x, Tree) and x.data == "identifier":
                    local_names.add(_tok(x))
        if n.data in TRAV or (n.data == "expr_term" and len(n.children) == 1 and isinstance(n.children[0], Tree)
                              and n.children[0].data in TRAV):
            base, steps = _flatten(n)
            b = _unwrap(base)
            if isinstance(b, Tree) and b.data == "identifier":
                refs.append((_tok(b), steps, ln))
            else:
                walk(base, ln)
            for s in steps:
                if s[0] == "index" and s[1] is not None:
                    walk(s[1], ln)
            return
        if n.data == "expr_term" and len(n.children) == 1 and isinstance(n.children[0], Tree) \
                and n.children[0].data == "identifier":
            refs.append((_tok(n.children[0]), [], ln))
            return
        if n.data == "function_call":
            for x in n.children[1:]:
                walk(x, ln)
            return
        if n.data == "object_elem":  # keys of object constructors are names, not references
            key = n.children[0]
            k = _unwrap(key.children[0]) if isinstance(key, Tree) and key.children else None
            if not (isinstance(k, Tree) and k.data == "identifier"):
                walk(key, ln)
            for x in n.children[1:]:
                walk(x, ln)
            return
        for c in n.children:
            walk(c, ln)

    walk(expr, line)
    return [r for r in refs if r[0] not in local_names], local_names


# ----------------------------------------------------------------------------------------------
# The checker
# ----------------------------------------------------------------------------------------------

def _vparse(v):
    parts = re.findall(r"\d+", v.split("-")[0])[:3]
    return tuple(int(x) for x in parts) + (0,) * (3 - len(parts))


def version_satisfies(version, constraint):
    """Terraform version-constraint check (=, !=, >, >=, <, <=, ~>); None when it cannot be parsed."""
    v = _vparse(version)
    for part in (constraint or "").split(","):
        m = re.match(r"\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+(?:\.\d+){0,2})\s*$", part)
        if not m:
            return None
        op, raw = m.group(1) or "=", m.group(2)
        c, n = _vparse(raw), len(raw.split("."))
        if op == "=" and v != c or op == "!=" and v == c or op == ">" and not v > c or op == ">=" and not v >= c \
                or op == "<" and not v < c or op == "<=" and not v <= c:
            return False
        if op == "~>":
            if v < c:
                return False
            if n == 1 or n == 2:
                if v[0] != c[0]:
                    return False
            elif v[:2] != c[:2]:
                return False
    return True


def version_lower_bound(constraint):
    lo = None
    for part in (constraint or "").split(","):
        m = re.match(r"\s*(~>|>=|=|>)?\s*v?(\d+(?:\.\d+){0,2})\s*$", part)
        if m and (m.group(1) or "=") in ("~>", ">=", "=", ">"):
            c = _vparse(m.group(2))
            lo = c if lo is None or c > lo else lo
    return lo


class ModuleInfo:
    def __init__(self, d):
        self.dir = d
        self.files = []            # [(path, body tree)]
        self.variables = {}        # name -> (has_default, path, line)
        self.outputs = {}          # name -> (path, line)
        self.locals = {}           # name -> (path, line)
        self.module_calls = {}     # name -> (source or None, path, line)
        self.resources = {}        # (type, name) -> (path, line)
        self.data = {}             # (type, name) -> (path, line)
        self.required_providers = {}  # local name -> {"source":..., "version":..., "path":..., "line":...}
        self.parse_errors = []     # (path, message)
        self.duplicates = []       # (path, addr, line, message)
        self.var_types = {}        # name -> kind (string, number, bool, tuple, object) or None
        self.provider_configs = set()  # (local name, alias or None)
        self.config_aliases = set()    # (local name, alias) from required_providers configuration_aliases


def _literal(expr):
    e = _unwrap(expr)
    if isinstance(e, Tree) and e.data == "string":
        return _string_literal(e)
    return None


def _object_literal(expr):
    e = _unwrap(expr)
    if not (isinstance(e, Tree) and e.data == "object"):
        return None
    out = {}
    for el in e.children:
        if isinstance(el, Tree) and el.data == "object_elem" and el.children[0].children:
            k = _unwrap(el.children[0].children[0])
            key = _tok(k) if isinstance(k, Tree) and k.data in ("identifier", "keyword") else _literal(k)
            if key is not None:
                out[key] = _literal(el.children[-1])
    return out


def _suggest(name, candidates):
    import difflib
    m = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return (" (did you mean %s?)" % " or ".join('"%s"' % x for x in m)) if m else ""


def _allowed(names, limit=20):
    names = sorted(names)
    if len(names) <= limit:
        return "; the schema allows: " + ", ".join(names) if names else "; the schema allows nothing here"
    return ""


class Checker:
    def __init__(self, schemas, check_refs=True):
        self.schemas = schemas
        self.check_refs = check_refs
        self.modules = {}
        self.findings = []   # (path, addr, line, severity, message)
        self.notes = {}      # message -> count
        self.stats = {"files": 0, "blocks": 0, "modules": 0, "module_calls": 0, "references": 0, "attr_refs": 0}
        self.prefixes = {}
        for pname, sch in schemas.items():
            for kind in ("resources", "data"):
                for t in sch[kind]:
                    self.prefixes.setdefault(t.split("_", 1)[0], pname)

    # -- bookkeeping ---------------------------------------------------------------------------
    def add(self, path, addr, line, msg, severity="error"):
        self.findings.append((path, addr, line, severity, msg))

    def note(self, msg):
        self.notes[msg] = self.notes.get(msg, 0) + 1

    def load_module(self, d):
        d = os.path.normpath(d)
        if d in self.modules:
            return self.modules[d]
        mi = ModuleInfo(d)
        self.modules[d] = mi
        for path in sorted(glob.glob(os.path.join(d, "*.tf"))):
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                # HCL accepts trailing blanks after a heredoc's closing marker (it trims the line);
                # python-hcl2's grammar does not and would swallow what follows into the heredoc.
                text = re.sub(r"[ \t]+$", "", text, flags=re.M)
                tree = hcl2.parses_to_tree(text)
            except Exception as e:  # noqa: BLE001 - report any parser failure as a finding
                msg = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
                mi.parse_errors.append((path, msg))
                continue
            body = tree.children[0]
            mi.files.append((path, body))
            def dup(table, key, addr, line, what):
                if key in table:
                    first = table[key]
                    mi.duplicates.append((path, addr, line, "duplicate %s: already declared at %s:%d" % (
                        what, os.path.relpath(first[1] if isinstance(first[0], bool) else first[0]),
                        first[2] if isinstance(first[0], bool) else first[1])))
            for b in body_items(body):
                if not isinstance(b, Block):
                    continue
                if b.type == "variable" and b.labels:
                    battrs = {x.name: x for x in body_items(b.body) if isinstance(x, Attr)}
                    dup(mi.variables, b.labels[0], "variable." + b.labels[0], b.line, "variable")
                    mi.variables[b.labels[0]] = ("default" in battrs, path, b.line)
                    mi.var_types[b.labels[0]] = variable_type_kind(battrs["type"].expr) if "type" in battrs else None
                elif b.type == "output" and b.labels:
                    dup(mi.outputs, b.labels[0], "output." + b.labels[0], b.line, "output")
                    mi.outputs[b.labels[0]] = (path, b.line)
                elif b.type == "provider" and b.labels:
                    alias = None
                    for a in body_items(b.body):
                        if isinstance(a, Attr) and a.name == "alias":
                            alias = _literal(a.expr)
                    if (b.labels[0], alias) in mi.provider_configs:
                        mi.duplicates.append((path, "provider." + b.labels[0], b.line, "duplicate provider configuration"
                                              + (" with alias \"%s\"" % alias if alias else " (default, no alias)")))
                    mi.provider_configs.add((b.labels[0], alias))
                elif b.type == "locals":
                    for a in body_items(b.body):
                        if isinstance(a, Attr):
                            dup(mi.locals, a.name, "locals", a.line, "local value \"%s\"" % a.name)
                            mi.locals[a.name] = (path, a.line)
                elif b.type == "module" and b.labels:
                    if b.labels[0] in mi.module_calls:
                        mi.duplicates.append((path, "module." + b.labels[0], b.line, "duplicate module call: already "
                                              "declared at %s:%d" % (os.path.relpath(mi.module_calls[b.labels[0]][1]),
                                                                     mi.module_calls[b.labels[0]][2])))
                    src = None
                    for a in body_items(b.body):
                        if isinstance(a, Attr) and a.name == "source":
                            src = _literal(a.expr)
                    mi.module_calls[b.labels[0]] = (src, path, b.line)
                elif b.type in ("resource", "data") and len(b.labels) >= 2:
                    local = b.labels[0].split("_", 1)[0]
                    for a in body_items(b.body):
                        if isinstance(a, Attr) and a.name == "provider":
                            e = _unwrap(a.expr)
                            if isinstance(e, Tree) and e.data in TRAV:
                                e = _unwrap(_flatten(e)[0])
                            if isinstance(e, Tree) and e.data == "identifier":
                                local = _tok(e)
                    table = mi.resources if b.type == "resource" else mi.data
                    key = (b.labels[0], b.labels[1])
                    if key in table:
                        mi.duplicates.append((path, ("data." if b.type == "data" else "") + ".".join(key), b.line,
                                              "duplicate %s block: already declared at %s:%d" % (
                                                  b.type, os.path.relpath(table[key][0]), table[key][1])))
                    table[key] = (path, b.line, local)
                elif b.type == "terraform":
                    for tb in body_items(b.body):
                        if isinstance(tb, Block) and tb.type == "required_providers":
                            for a in body_items(tb.body):
                                if isinstance(a, Attr):
                                    e = _unwrap(a.expr)
                                    if isinstance(e, Tree) and e.data == "object":
                                        for el in e.children:
                                            if isinstance(el, Tree) and el.data == "object_elem" and \
                                                    _tok(_unwrap(el.children[0].children[0])) == "configuration_aliases":
                                                for t in tuple_items(el.children[-1]) or []:
                                                    base, steps = _flatten(_unwrap(t))
                                                    if steps and steps[0][0] == "attr":
                                                        mi.provider_configs.add((_tok(_unwrap(base)), steps[0][1]))
                                                        mi.config_aliases.add((_tok(_unwrap(base)), steps[0][1]))
                                    obj = _object_literal(a.expr) or {}
                                    mi.required_providers[a.name] = {
                                        "source": obj.get("source") or ("hashicorp/" + a.name),
                                        "version": obj.get("version"), "path": path, "line": a.line}
        return mi

    def provider_schema(self, mi, local_name, path, addr, line):
        rp = mi.required_providers.get(local_name)
        src = (rp or {}).get("source") or ("hashicorp/" + local_name)
        ptype = src.rsplit("/", 1)[-1]
        if ptype == "terraform" and local_name == "terraform":
            return BUILTIN
        sch = self.schemas.get(ptype)
        if sch is None:
            self.note("no schema loaded for provider %s (%s); its blocks are not checked" % (ptype, src))
        elif rp and rp.get("version"):
            self.version_note(sch, rp)
        return sch

    def version_note(self, sch, rp):
        want, have = rp["version"], sch["version"]
        ok = version_satisfies(have, want)
        if ok is None:
            return
        if not ok:
            hv, lo = _vparse(have), version_lower_bound(want)
            kind = "MAJOR version mismatch" if lo and lo[0] != hv[0] else "version mismatch"
            self.note("%s: %s constraint \"%s\" is not satisfied by the schema's %s %s (%s): findings may "
                      "reflect the difference" % (kind, rp["source"], want, sch["name"], have, sch.get("package", "")))
            return
        lo = version_lower_bound(want)
        if lo and lo[:2] < _vparse(have)[:2]:
            self.note("%s constraint \"%s\" allows %s, older than the schema's %s %s: a type or argument added "
                      "after %s passes here but fails on the oldest allowed version"
                      % (rp["source"], want, ".".join(map(str, lo)), sch["name"], have, ".".join(map(str, lo))))

    # -- entry ---------------------------------------------------------------------------------
    def check_dir(self, root):
        dirs = set()
        if os.path.isfile(root):
            dirs.add(os.path.dirname(root) or ".")
        for dp, dn, fn in os.walk(root):
            dn[:] = sorted(x for x in dn if not x.startswith(".") and x != "node_modules")
            if any(f.endswith(".tf") for f in fn):
                dirs.add(dp)
        for d in sorted(dirs):
            mi = self.load_module(d)
            self.check_module(mi)

    def check_module(self, mi):
        if getattr(mi, "_checked", False):
            return
        mi._checked = True
        self.stats["modules"] += 1
        for path, msg in mi.parse_errors:
            self.add(path, "(file)", 0, "HCL parse error: " + msg)
        for path, addr, line, msg in mi.duplicates:
            self.add(path, addr, line, msg)
        for path, body in mi.files:
            self.stats["files"] += 1
            for b in body_items(body):
                if not isinstance(b, Block):
                    continue
                if b.type in ("resource", "data") and len(b.labels) >= 2:
                    self.stats["blocks"] += 1
                    self.check_resource(mi, path, b)
                elif b.type == "provider" and b.labels:
                    self.check_provider(mi, path, b)
                elif b.type == "module" and b.labels:
                    self.stats["module_calls"] += 1
                    self.check_module_call(mi, path, b)
            if self.check_refs:
                self.check_references(mi, path, body)
        self.check_tfvars(mi)

    def check_tfvars(self, mi):
        """terraform.tfvars / *.auto.tfvars of a root module: every key a declared variable of a fitting type."""
        if not mi.files:
            return
        paths = sorted(glob.glob(os.path.join(mi.dir, "terraform.tfvars")) +
                       glob.glob(os.path.join(mi.dir, "*.auto.tfvars")))
        for path in paths:
            try:
                with open(path, encoding="utf-8") as f:
                    tree = hcl2.parses_to_tree(re.sub(r"[ \t]+$", "", f.read(), flags=re.M))
            except Exception as e:  # noqa: BLE001
                self.add(path, "(tfvars)", 0, "HCL parse error: %s" % (str(e).strip().splitlines() or [""])[0][:200])
                continue
            for it in body_items(tree.children[0]):
                if isinstance(it, Block):
                    self.add(path, "(tfvars)", it.line, "unexpected block \"%s\" in a variables file" % it.type)
                elif it.name not in mi.variables:
                    self.add(path, "var." + it.name, it.line, "value for undeclared variable \"%s\" (module %s declares "
                             "no such variable; Terraform ignores it with a warning)%s" % (
                                 it.name, os.path.relpath(mi.dir), _suggest(it.name, mi.variables)), "warning")
                else:
                    why = type_mismatch(mi.var_types.get(it.name), it.expr)
                    if why:
                        self.add(path, "var." + it.name, it.line, "inappropriate value for variable \"%s\": %s" % (
                            it.name, why))

    # -- resources / data sources ---------------------------------------------------------------
    def check_resource(self, mi, path, b):
        rtype, rname = b.labels[0], b.labels[1]
        is_data = b.type == "data"
        addr = ("data." if is_data else "") + rtype + "." + rname
        local = (mi.data if is_data else mi.resources)[(rtype, rname)][2]
        for a in body_items(b.body):
            if isinstance(a, Attr) and a.name == "provider":
                self.check_provider_ref(mi, path, addr, a.expr, a.line)
        if rtype in BUILTIN["data" if is_data else "resources"]:
            sch = BUILTIN
        else:
            sch = self.provider_schema(mi, local, path, addr, b.line)
        if sch is None:
            return
        table = sch["data" if is_data else "resources"]
        node = table.get(rtype)
        if node is None:
            self.add(path, addr, b.line, "unknown %s type \"%s\" in %s %s%s" % (
                "data source" if is_data else "resource", rtype, sch["name"], sch["version"],
                _suggest(rtype, table)))
            return
        where = "%s %s" % (rtype, "data source" if is_data else "resource")
        self.check_body(path, addr, node, b.body, "", top=True, where=where, sch=sch, ref=node.get("o"), line=b.line)

    def check_provider_ref(self, mi, path, addr, expr, line):
        e = _unwrap(expr)
        if not (isinstance(e, Tree) and e.data in TRAV):
            return
        base, steps = _flatten(e)
        b = _unwrap(base)
        if not (isinstance(b, Tree) and b.data == "identifier") or len(steps) != 1 or steps[0][0] != "attr":
            return
        name, alias = _tok(b), steps[0][1]
        if (name, alias) not in mi.provider_configs:
            self.add(path, addr, line, "reference to undefined provider configuration \"%s.%s\": module %s has no "
                     "provider \"%s\" block with alias \"%s\" nor such a configuration_aliases entry" % (
                         name, alias, os.path.relpath(mi.dir), name, alias))

    def check_provider(self, mi, path, b):
        pname = b.labels[0]
        addr = "provider." + pname
        sch = self.provider_schema(mi, pname, path, addr, b.line)
        if sch is None or not sch.get("provider"):
            return
        node = {"a": {k: list(v) for k, v in sch["provider"]["a"].items()}}
        for k in PROVIDER_REQUIRED.get(sch["name"], ()):
            if k in node["a"]:
                node["a"][k][1] = 1
        node["a"].setdefault("alias", ["a", 0, "simple", None, "string", 0])
        node["a"].setdefault("version", ["a", 0, "simple", None, "string", 0])
        self.check_body(path, addr, node, b.body, "", top=False, where="provider %s" % pname, sch=sch, line=b.line)

    def check_body(self, path, addr, node, body, prefix, top, where, sch, ref=None, line=0):
        spec_all = node["a"]
        ref = ref if isinstance(ref, dict) else {}
        present = set()
        for it in body_items(body):
            if isinstance(it, Attr):
                if top and it.name in RESOURCE_META_ATTRS:
                    continue
                spec = spec_all.get(it.name)
                present.add(it.name)
                if spec is None and it.name in ref:
                    self.add(path, addr, it.line, "\"%s%s\" is read-only (computed by the provider) in %s (%s %s): "
                             "Terraform rejects any non-null value for it" % (prefix, it.name, where, sch["name"],
                                                                             sch["version"]), "warning")
                elif spec is None:
                    self.add(path, addr, it.line, "unsupported argument \"%s%s\": %s (%s %s) has no such argument%s%s" % (
                        prefix, it.name, where, sch["name"], sch["version"], _suggest(it.name, spec_all),
                        _allowed(spec_all) if prefix else ""))
                elif spec[0] in ("b", "x"):
                    self.add(path, addr, it.line, "\"%s%s\" is a nested block in %s, not an argument: write `%s { ... }`"
                             " (or a dynamic block), not `%s = ...`" % (prefix, it.name, where, it.name, it.name))
                elif spec[0] == "a" and len(spec) > 4:
                    why = type_mismatch(spec[4], it.expr)
                    if why:
                        self.add(path, addr, it.line, "inappropriate value for \"%s%s\" of %s: %s (schema type %s)" % (
                            prefix, it.name, where, why, spec[4]))
                elif spec[0] == "n" and spec[3]:
                    objs = []
                    ok = object_keys(it.expr)
                    if ok is not None:
                        objs.append(ok)
                    for t in tuple_items(it.expr) or []:
                        k2 = object_keys(t)
                        if k2 is not None:
                            objs.append(k2)
                    for keys in objs:
                        for k, ln in keys:
                            if k is not None and k not in spec[3]["a"]:
                                self.add(path, addr, ln, "unsupported attribute \"%s\" in object \"%s%s\" of %s%s" % (
                                    k, prefix, it.name, where, _suggest(k, spec[3]["a"])))
                continue
            # blocks
            if it.type == "dynamic":
                label = it.labels[0] if it.labels else ""
                present.add(label)
                spec = spec_all.get(label)
                if spec is None:
                    self.add(path, addr, it.line, "unsupported block type \"%s%s\" (dynamic): %s (%s %s) has no such block%s" % (
                        prefix, label, where, sch["name"], sch["version"], _suggest(label, spec_all)))
                    continue
                if spec[0] == "a":
                    self.add(path, addr, it.line, "\"%s%s\" is an argument of %s, not a block: a dynamic block cannot set it"
                             % (prefix, label, where))
                    continue
                content, has_for_each = None, False
                for d in body_items(it.body):
                    if isinstance(d, Attr):
                        if d.name == "for_each":
                            has_for_each = True
                        elif d.name not in ("iterator", "labels"):
                            self.add(path, addr, d.line, "unsupported argument \"%s\" in dynamic \"%s\" (allowed: for_each, "
                                     "iterator, labels, content)" % (d.name, label))
                    elif d.type == "content":
                        content = d
                    else:
                        self.add(path, addr, d.line, "unsupported block \"%s\" in dynamic \"%s\"" % (d.type, label))
                if not has_for_each:
                    self.add(path, addr, it.line, "dynamic \"%s\" is missing its required for_each argument" % label)
                if content is None:
                    self.add(path, addr, it.line, "dynamic \"%s\" is missing its content block" % label)
                elif spec[0] in ("b", "n") and spec[3]:
                    self.check_body(path, addr, spec[3], content.body, prefix + label + ".", False, where, sch,
                                    ref.get(label), content.line)
                continue
            if top and it.type in RESOURCE_META_BLOCKS:
                if it.type == "lifecycle":
                    self.check_lifecycle(path, addr, node, it, where)
                continue
            spec = spec_all.get(it.type)
            if it.type in present and spec is not None and spec[0] != "a" and len(spec) > 5 and spec[5]:
                self.add(path, addr, it.line, "too many \"%s%s\" blocks: %s allows at most one" % (
                    prefix, it.type, where))
            present.add(it.type)
            if spec is None:
                self.add(path, addr, it.line, "unsupported block type \"%s%s\": %s (%s %s) has no such block%s%s" % (
                    prefix, it.type, where, sch["name"], sch["version"], _suggest(it.type, spec_all),
                    _allowed([k for k, v in spec_all.items() if v[0] != "a"]) if prefix else ""))
            elif spec[0] == "a":
                self.add(path, addr, it.line, "\"%s%s\" is an argument of %s, not a block: write `%s = ...`"
                         % (prefix, it.type, where, it.type))
            elif spec[3]:
                self.check_body(path, addr, spec[3], it.body, prefix + it.type + ".", False, where, sch,
                                ref.get(it.type), it.line)
        for k, spec in spec_all.items():
            if spec[1] and k not in present:
                if spec[0] == "a" or spec[0] == "n":
                    self.add(path, addr, line, "missing required argument \"%s%s\" (required by %s in %s %s)" % (
                        prefix, k, where, sch["name"], sch["version"]))
                else:
                    self.add(path, addr, line, "missing required block \"%s%s\" (at least one is required by %s in %s %s)"
                             % (prefix, k, where, sch["name"], sch["version"]))

    def check_lifecycle(self, path, addr, node, blk, where):
        for it in body_items(blk.body):
            if isinstance(it, Attr):
                if it.name not in LIFECYCLE_ATTRS:
                    self.add(path, addr, it.line, "unsupported argument \"%s\" in lifecycle" % it.name)
                elif it.name == "ignore_changes":
                    items = tuple_items(it.expr)
                    if items is None:
                        continue  # `all`
                    for t in items:
                        e = _unwrap(t)
                        if isinstance(e, Tree) and e.data == "identifier":
                            root, steps = _tok(e), []
                        elif isinstance(e, Tree) and e.data in TRAV:
                            base, steps = _flatten(e)
                            b = _unwrap(base)
                            if not (isinstance(b, Tree) and b.data == "identifier"):
                                continue
                            root = _tok(b)
                        else:
                            continue
                        self.check_ignore_path(path, addr, node, root, steps, _line(t, it.line), where)
            elif it.type not in LIFECYCLE_BLOCKS:
                self.add(path, addr, it.line, "unsupported block \"%s\" in lifecycle" % it.type)

    def check_ignore_path(self, path, addr, node, root, steps, line, where):
        spec = node["a"].get(root)
        if spec is None:
            if root in node.get("o", {}):
                self.add(path, addr, line, "redundant ignore_changes element \"%s\": it is computed by the provider, "
                         "never set in configuration" % root, "warning")
            else:
                self.add(path, addr, line, "ignore_changes names \"%s\", which %s does not have%s" % (
                    root, where, _suggest(root, node["a"])))
            return
        cur = spec
        name = root
        for s in steps:
            if s[0] != "attr":
                continue
            if cur[0] not in ("b", "n") or not cur[3]:
                return
            nxt = cur[3]["a"].get(s[1])
            if nxt is None:
                self.add(path, addr, line, "ignore_changes names \"%s.%s\", but block \"%s\" of %s has no \"%s\"%s" % (
                    name, s[1], name, where, s[1], _suggest(s[1], cur[3]["a"])))
                return
            cur, name = nxt, name + "." + s[1]

    # -- module calls ---------------------------------------------------------------------------
    def check_module_call(self, mi, path, b):
        name = b.labels[0]
        addr = "module." + name
        items = body_items(b.body)
        src = None
        for a in items:
            if isinstance(a, Attr) and a.name == "source":
                src = _literal(a.expr)
        if src is None:
            self.add(path, addr, b.line, "module call has no literal source")
            return
        if not (src.startswith("./") or src.startswith("../")):
            return  # registry/git module: no local schema
        tdir = os.path.normpath(os.path.join(os.path.dirname(path), src))
        if not os.path.isdir(tdir):
            self.add(path, addr, b.line, "module source \"%s\" does not exist (%s)" % (src, tdir))
            return
        tm = self.load_module(tdir)
        if not tm.files and not tm.parse_errors:
            self.add(path, addr, b.line, "module source \"%s\" has no .tf files" % src)
            return
        passed, passed_providers = set(), set()
        for a in items:
            if isinstance(a, Attr) and a.name == "providers":
                e = _unwrap(a.expr)
                for el in (e.children if isinstance(e, Tree) and e.data == "object" else []):
                    if isinstance(el, Tree) and el.data == "object_elem":
                        self.check_provider_ref(mi, path, addr, el.children[-1], a.line)
                        k = _unwrap(el.children[0].children[0]) if el.children[0].children else None
                        if isinstance(k, Tree) and k.data in TRAV:
                            kb, ks = _flatten(k)
                            if ks and ks[0][0] == "attr":
                                passed_providers.add((_tok(_unwrap(kb)), ks[0][1]))
        for a in items:
            if isinstance(a, Attr):
                if a.name in MODULE_META_ATTRS:
                    continue
                passed.add(a.name)
                if a.name not in tm.variables:
                    self.add(path, addr, a.line, "unsupported argument \"%s\": module \"%s\" declares no variable \"%s\"%s"
                             % (a.name, src, a.name, _suggest(a.name, tm.variables)))
                else:
                    why = type_mismatch(tm.var_types.get(a.name), a.expr)
                    if why:
                        self.add(path, addr, a.line, "inappropriate value for variable \"%s\" of module \"%s\": %s" % (
                            a.name, src, why))
            else:
                self.add(path, addr, a.line, "unsupported block \"%s\" in a module call" % a.type)
        for pname, alias in sorted(tm.config_aliases - passed_providers):
            self.add(path, addr, b.line, "missing required provider configuration \"%s.%s\": module \"%s\" declares it "
                     "in configuration_aliases, so the call must pass it in `providers`" % (pname, alias, src))
        for v, (has_default, vpath, vline) in sorted(tm.variables.items()):
            if not has_default and v not in passed:
                self.add(path, addr, b.line, "missing required argument \"%s\": variable \"%s\" of module \"%s\" has no "
                         "default (%s:%d)" % (v, v, src, os.path.relpath(vpath), vline))

    # -- references -----------------------------------------------------------------------------
    def check_references(self, mi, path, body):
        for b in body_items(body):
            if not isinstance(b, Block):
                continue
            if b.type in ("moved", "removed", "import", "terraform"):
                continue
            if b.type in ("resource", "data", "ephemeral") and len(b.labels) >= 2:
                addr = ("" if b.type == "resource" else b.type + ".") + b.labels[0] + "." + b.labels[1]
            elif b.labels:
                addr = b.type + "." + b.labels[0]
            else:
                addr = b.type
            exclude = set()
            exprs = []
            self._collect_exprs(b.body, exprs, exclude, top=True)
            for it in body_items(b.body) if b.type != "variable" else \
                    [x for x in body_items(b.body) if not (isinstance(x, Attr) and x.name == "type")]:
                for n in _function_calls(it.expr if isinstance(it, Attr) else it.body):
                    ids = [c for c in n.children if isinstance(c, Tree) and c.data == "identifier"]
                    fname = _tok(ids[0]) if ids else ""
                    if len(ids) == 1 and fname not in KNOWN_FUNCTIONS:
                        self.add(path, addr, _line(n, b.line), "call to unknown function \"%s\"%s" % (
                            fname, _suggest(fname, KNOWN_FUNCTIONS)))
            top_attrs = {a.name for a in body_items(b.body) if isinstance(a, Attr)}
            # Ephemeral resources (Terraform 1.10) take for_each and count like resources.
            repeatable = b.type in ("resource", "data", "module", "ephemeral")
            for expr, line in exprs:
                refs, _ = references(expr, line)
                for root, steps, ln in refs:
                    if root in exclude:
                        continue
                    if root == "each" and not (repeatable and "for_each" in top_attrs):
                        self.add(path, addr, ln, "reference to \"each.%s\" in a block without for_each" % (
                            steps[0][1] if steps and steps[0][0] == "attr" else ""))
                    elif root == "count" and steps and steps[0][0] == "attr" and steps[0][1] == "index" \
                            and not (repeatable and "count" in top_attrs):
                        self.add(path, addr, ln, "reference to \"count.index\" in a block without count")
                    self.check_ref(mi, path, addr, root, steps, ln)

    def _collect_exprs(self, body, out, exclude, top):
        for it in body_items(body):
            if isinstance(it, Attr):
                out.append((it.expr, it.line))
            elif it.type == "lifecycle" and top:
                for a in body_items(it.body):
                    if isinstance(a, Attr) and a.name != "ignore_changes":
                        out.append((a.expr, a.line))
                    elif isinstance(a, Block):
                        self._collect_exprs(a.body, out, exclude, False)
            else:
                if it.type == "dynamic" and it.labels:
                    exclude.add(it.labels[0])
                    for a in body_items(it.body):
                        if isinstance(a, Attr) and a.name == "iterator":
                            e = _unwrap(a.expr)
                            if isinstance(e, Tree) and e.data == "identifier":
                                exclude.add(_tok(e))
                self._collect_exprs(it.body, out, exclude, False)

    def check_ref(self, mi, path, addr, root, steps, line):
        self.stats["references"] += 1

        def attr_at(i):
            return steps[i][1] if i < len(steps) and steps[i][0] == "attr" else None

        if root == "var":
            v = attr_at(0)
            if v and v not in mi.variables:
                self.add(path, addr, line, "reference to undeclared input variable \"var.%s\" (module %s declares: %s)" % (
                    v, os.path.relpath(mi.dir), ", ".join(sorted(mi.variables)) or "none") if len(mi.variables) <= 25
                    else "reference to undeclared input variable \"var.%s\"%s" % (v, _suggest(v, mi.variables)))
        elif root == "local":
            v = attr_at(0)
            if v and v not in mi.locals:
                self.add(path, addr, line, "reference to undeclared local value \"local.%s\"%s" % (v, _suggest(v, mi.locals)))
        elif root == "module":
            m = attr_at(0)
            if not m:
                return
            if m not in mi.module_calls:
                self.add(path, addr, line, "reference to undeclared module \"module.%s\"%s" % (m, _suggest(m, mi.module_calls)))
                return
            src, cpath, _ = mi.module_calls[m]
            if not src or not (src.startswith("./") or src.startswith("../")):
                return
            tdir = os.path.normpath(os.path.join(os.path.dirname(cpath), src))
            if not os.path.isdir(tdir):
                return
            tm = self.load_module(tdir)
            i = 1
            while i < len(steps) and steps[i][0] in ("index", "splat"):
                i += 1
            o = attr_at(i)
            if o and tm.files and o not in tm.outputs:
                self.add(path, addr, line, "module \"%s\" (%s) has no output \"%s\"%s" % (
                    m, src, o, _suggest(o, tm.outputs)))
        elif root == "data":
            t, n = attr_at(0), attr_at(1)
            if not t or not n:
                return
            if (t, n) not in mi.data:
                self.add(path, addr, line, "reference to undeclared data source \"data.%s.%s\"" % (t, n))
                return
            self.check_ref_attrs(mi, path, addr, line, "data.%s.%s" % (t, n), t, True, steps[2:], mi.data[(t, n)][2])
        elif root not in NON_REF_ROOTS and "_" in root and (
                root.split("_", 1)[0] in self.prefixes or root.split("_", 1)[0] in mi.required_providers
                or any(k[0] == root for k in mi.resources)):
            n = attr_at(0)
            if not n:
                return
            if (root, n) not in mi.resources:
                self.add(path, addr, line, "reference to undeclared resource \"%s.%s\"" % (root, n))
                return
            self.check_ref_attrs(mi, path, addr, line, "%s.%s" % (root, n), root, False, steps[1:],
                                 mi.resources[(root, n)][2])

    def check_ref_attrs(self, mi, path, addr, line, ref, rtype, is_data, steps, local):
        if rtype in BUILTIN["data" if is_data else "resources"]:
            sch = BUILTIN
        else:
            rp = mi.required_providers.get(local)
            src = (rp or {}).get("source") or ("hashicorp/" + local)
            sch = self.schemas.get(src.rsplit("/", 1)[-1])
        if sch is None:
            return
        node = sch["data" if is_data else "resources"].get(rtype)
        if node is None or "o" not in node:
            return
        level, shown = node["o"], ref
        self.stats["attr_refs"] += 1
        for s in steps:
            if not isinstance(level, dict) or not level:
                return
            if s[0] != "attr":
                shown += "[*]" if s[0] == "splat" else "[…]"
                continue
            if s[1] not in level:
                self.add(path, addr, line, "unsupported attribute: %s has no attribute \"%s\" (%s %s)%s" % (
                    shown, s[1], sch["name"], sch["version"], _suggest(s[1], level)))
                return
            level, shown = level[s[1]], shown + "." + s[1]


SELF_TEST = {
    "main.tf": """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}
variable "name" { type = string }
locals { tags = { app = "x" } }
resource "aws_s3_bucket" "ok" {
  bucket = var.name
  tags   = local.tags
}
resource "aws_s3_bucket" "bad" {
  bucket_name = var.name                                  # E1 unknown argument
  tags        = ["x"]                                     # E2 list for a map
  lifecycle { ignore_changes = [tag] }                    # E3 unknown ignore_changes
}
resource "aws_eks_cluster" "bad" {                        # E4 missing role_arn, E5 missing vpc_config
  name = "x"
  access_config { authentication_modes = "API" }          # E6 unknown nested argument
}
data "aws_iam_policy_document" "bad" {
  statement {
    principals { type = "Service" }                       # E7 missing identifiers
  }
}
resource "aws_s3_bucket_policy" "bad" {
  bucket = aws_s3_bucket.ok.bucket_id                     # E8 unknown attribute
  policy = data.aws_iam_policy_document.bad.jsn           # E9 unknown attribute
}
module "child" {
  source = "./child"
  nme    = "x"                                            # E10 unknown variable, E11/E12 missing name and size
}
output "o" { value = module.child.nope }                  # E13 unknown module output
""",
    "child/main.tf": """
variable "name" { type = string }
variable "size" { type = number }
output "id" { value = var.name }
""",
}
SELF_TEST_EXPECT = [
    ("aws_s3_bucket.bad", "unsupported argument \"bucket_name\""),
    ("aws_s3_bucket.bad", "inappropriate value for \"tags\""),
    ("aws_s3_bucket.bad", "ignore_changes names \"tag\""),
    ("aws_eks_cluster.bad", "missing required argument \"role_arn\""),
    ("aws_eks_cluster.bad", "missing required block \"vpc_config\""),
    ("aws_eks_cluster.bad", "unsupported argument \"access_config.authentication_modes\""),
    ("data.aws_iam_policy_document.bad", "missing required argument \"statement.principals.identifiers\""),
    ("aws_s3_bucket_policy.bad", "has no attribute \"bucket_id\""),
    ("aws_s3_bucket_policy.bad", "has no attribute \"jsn\""),
    ("module.child", "unsupported argument \"nme\""),
    ("module.child", "missing required argument \"name\""),
    ("module.child", "missing required argument \"size\""),
    ("output.o", "has no output \"nope\""),
]


def self_test(schemas):
    """Check a planted configuration; every expected finding must appear and nothing else."""
    import shutil
    if "aws" not in schemas:
        print("self-test needs the aws schema")
        return 2
    d = tempfile.mkdtemp(prefix="tfschema-selftest-")
    try:
        for rel, text in SELF_TEST.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        ck = Checker(schemas)
        ck.check_dir(d)
        got = [(a, m) for _, a, _, _, m in ck.findings]
        missing = [e for e in SELF_TEST_EXPECT if not any(a == e[0] and e[1] in m for a, m in got)]
        extra = [g for g in got if not any(g[0] == e[0] and e[1] in g[1] for e in SELF_TEST_EXPECT)]
        for a, m in got:
            print("  %s: %s" % (a, m))
        print("self-test: %d expected findings, %d found, %d missing, %d unexpected" % (
            len(SELF_TEST_EXPECT), len(SELF_TEST_EXPECT) - len(missing), len(missing), len(extra)))
        for e in missing:
            print("  MISSING %s: %s" % e)
        for e in extra:
            print("  UNEXPECTED %s: %s" % e)
        return 0 if not missing and not extra else 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", help="directories (or .tf files) to check")
    ap.add_argument("--schema-cache", default=HOME,
                    help="directory for the compact schema JSON files schema-<provider>-<version>.json (default %(default)s)")
    ap.add_argument("--packages", default=None,
                    help="directories (%s-separated) holding unpacked provider-* packages of cdktn/cdktf; the first "
                         "one that has a provider wins (default: the --set directory, then %s)" % (
                             os.pathsep, os.path.join(HOME, "node_modules", "@cdktf")))
    ap.add_argument("--set", default="latest", choices=sorted(PACKAGE_SETS),
                    help="package set: latest (newest in the scaffold's pins, default) or min (oldest available "
                         "inside the pins); its packages live in %s" % os.path.join(HOME, "<set>", "pkgs"))
    ap.add_argument("--install", action="store_true", help="download and unpack the --set packages (npm, pip) first")
    ap.add_argument("--self-test", action="store_true", help="check a planted configuration and exit")
    ap.add_argument("--rebuild-schema", action="store_true", help="re-extract even when a cache file exists")
    ap.add_argument("--no-refs", action="store_true", help="skip the reference checks")
    ap.add_argument("--json", metavar="FILE", help="also write the findings as JSON")
    ap.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    args = ap.parse_args(argv)

    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    if args.install:
        print("installing package set %s into %s" % (args.set, os.path.join(HOME, args.set, "pkgs")), file=sys.stderr)
        install_set(args.set, lambda *a: print(*a, file=sys.stderr))
    set_name = None
    if args.packages is None:
        set_name = args.set
        args.packages = os.pathsep.join([os.path.join(HOME, args.set, "pkgs"), os.path.join(HOME, "node_modules", "@cdktf")])
    if not args.dirs and not args.self_test:
        if args.install:
            return 0
        ap.error("give at least one directory")
    t0 = time.time()
    schemas = load_schemas(args.schema_cache, args.packages, args.rebuild_schema, log, set_name)
    t1 = time.time()
    if not schemas:
        print("tfschema_check: no provider schemas (install @cdktf/provider-* into --packages or fill --schema-cache)",
              file=sys.stderr)
        return 2
    log("schemas: " + ", ".join("%s %s (%d resources, %d data sources)" % (
        s["name"], s["version"], len(s["resources"]), len(s["data"])) for s in schemas.values())
        + " [%.1fs]" % (t1 - t0))
    if args.self_test:
        return self_test(schemas)
    ck = Checker(schemas, check_refs=not args.no_refs)
    for d in args.dirs:
        if not os.path.exists(d):
            print("tfschema_check: no such path: %s" % d, file=sys.stderr)
            return 2
        ck.check_dir(d)
    t2 = time.time()
    seen = set()
    out = []
    for path, addr, line, sev, msg in sorted(ck.findings, key=lambda f: (f[0], f[2], f[1], f[4])):
        key = (path, addr, line, msg)
        if key in seen:
            continue
        seen.add(key)
        rel = os.path.relpath(path)
        out.append({"path": rel, "address": addr, "line": line, "severity": sev, "message": msg})
        text = ("warning: " if sev == "warning" else "") + msg
        print("%s:%s: %s%s" % (rel, addr, text, " (line %d)" % line if line else ""))
    for msg, n in sorted(ck.notes.items()):
        log("note: %s%s" % (msg, " [x%d]" % n if n > 1 else ""))
    errors = sum(1 for f in out if f["severity"] == "error")
    print("%d findings (%d errors, %d warnings) in %d files / %d modules: %d resource+data blocks, %d module calls, "
          "%d references (%d into resource attributes) checked [schema %.1fs, check %.1fs]" % (
              len(out), errors, len(out) - errors, ck.stats["files"], ck.stats["modules"], ck.stats["blocks"],
              ck.stats["module_calls"], ck.stats["references"], ck.stats["attr_refs"], t1 - t0, t2 - t1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"findings": out, "notes": sorted(ck.notes), "stats": ck.stats,
                       "schemas": {k: {"version": v["version"], "package": v.get("package")} for k, v in schemas.items()}},
                      f, indent=1)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
