"""Checks that every relative link in the rendered Markdown files resolves.

Usage: docs_links.py ROOT FILE...

ROOT is the rendered example; FILE are its Markdown files, relative to ROOT.
A relative link must name a file that exists under ROOT (a link to a folder
needs a README.md in it), and its #fragment, if any, must be the GitHub slug
of a heading in the target. Links with a scheme (https:, mailto:) are not
followed: the harness runs offline. Prints one finding per line as
`file:line: message` and exits 0; exits 2 when the checker itself fails.
"""

import os
import re
import sys
import unicodedata

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
LINK = re.compile(r"(?<!\!)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text):
    """Yields (line number, line) outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.split("\n"), start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * 3
            continue
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= {fence[0]}:
                fence = None
            continue
        yield number, line


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_]{1,3}([^*_]+)[*_]{1,3}", r"\1", text)
    text = text.strip().lower()
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in " -_" or category[0] in "LN" or category == "Mn":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors(text):
    """Every heading anchor of a Markdown text, with GitHub's -1, -2 suffixes for repeats."""
    seen = {}
    result = set()
    for _, line in prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def main(argv):
    root = argv[1]
    files = argv[2:]
    texts = {}

    def read(relative):
        if relative not in texts:
            with open(os.path.join(root, relative), encoding="utf-8") as handle:
                texts[relative] = handle.read()
        return texts[relative]

    for relative in files:
        text = read(relative)
        base = os.path.dirname(relative)
        for number, line in prose_lines(text):
            for match in LINK.finditer(CODE_SPAN.sub("", line)):
                target = match.group(1)
                if SCHEME.match(target) or target.startswith("//"):
                    continue
                path, _, fragment = target.partition("#")
                if path.startswith("/"):
                    print(f"{relative}:{number}: `{target}` is absolute; use a relative link")
                    continue
                resolved = os.path.normpath(os.path.join(base, path)) if path else relative
                if resolved.startswith(".."):
                    print(f"{relative}:{number}: `{target}` leaves the repository")
                    continue
                full = os.path.join(root, resolved)
                if os.path.isdir(full):
                    resolved = os.path.join(resolved, "README.md")
                    full = os.path.join(root, resolved)
                if not os.path.isfile(full):
                    print(f"{relative}:{number}: `{target}` does not resolve to a rendered file")
                    continue
                if fragment:
                    if not resolved.endswith(".md"):
                        continue
                    if fragment not in anchors(read(resolved)):
                        print(f"{relative}:{number}: `{target}`: no heading `#{fragment}` in {resolved}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as err:  # noqa: BLE001 - any crash is a checker failure, not a finding
        print(f"docs_links.py failed: {err}", file=sys.stderr)
        sys.exit(2)
