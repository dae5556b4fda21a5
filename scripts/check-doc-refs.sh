#!/usr/bin/env bash
# Checks that every protocol reference in the repository resolves to docs/protocol.
#   * nothing may point at the old out-of-tree spec directory (shared + /spec);
#   * every "§N.M" must name a docs/protocol page whose heading "N.M" exists:
#       code and plain text:  docs/protocol/legacy-da.md §9.2   (also "§2–§5", "§9, §10", "§3.2-3.3")
#       Markdown links:       [legacy-da.md §9.2](../docs/protocol/legacy-da.md)  (target relative
#                             to the citing file)
#     Inside docs/protocol/*.md a sibling page may be named without the folder, and a "§" with no
#     page name before it means the page itself;
#   * a protocol page name outside docs/protocol must carry the docs/protocol/ folder (or be a
#     link to it), so that a reader can find it.
# Usage: scripts/check-doc-refs.sh [REPO_ROOT]. Prints one line per problem (file:line: what) and
# exits 1 if there is any, else prints a summary and exits 0. Skips .git and build*/ directories.
set -euo pipefail
here=.; [[ ${BASH_SOURCE[0]} == */* ]] && here=${BASH_SOURCE[0]%/*}  # builtins only: --help needs no PATH
source "$here/usage.sh"  # usage: the header above, for --help
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  -*) echo "check-doc-refs.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "check-doc-refs.sh: one REPO_ROOT at most (see --help)" >&2; exit 2; }
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
exec python3 - "$root" <<'PY'
import os, re, sys

root = os.path.abspath(sys.argv[1])
OLD_SPEC = "shared" + "/spec"  # spelled apart so that this file does not match itself
proto = os.path.join(root, "docs", "protocol")
PAGES = ("preloader", "legacy-da", "usb", "partitions", "da-file", "open-questions", "README")
SPEC_PAGES = "preloader|legacy-da|usb|partitions|da-file|xflash-xml-da"

# Section numbers of each page, from headings such as "## 9. READ" or "### 9.2 Errors".
sections = {}
for page in PAGES:
    path = os.path.join(proto, page + ".md")
    if not os.path.isfile(path):
        continue
    found = set()
    with open(path, encoding="utf-8") as f:
        in_fence = False
        for line in f:
            if line.startswith("```"):
                in_fence = not in_fence
            m = None if in_fence else re.match(r"#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", line)
            if m:
                found.add(m.group(1))
    sections[page + ".md"] = found

LINK = re.compile(r"\[([^\]]*)\]\(([^)\s#]*)(#[^)]*)?\)")
SECT = re.compile(r"§\s?(\d+(?:\.\d+)*)")
# A page mention, with whatever path is written in front of it.
MENTION = re.compile(r"([\w./-]*?)(?<![\w-])(" + SPEC_PAGES + r")\.md")
# What may stand between a page mention and its "§", or between two "§" of one group.
JOIN = re.compile(r"^(?:[\s,;/&()\u2013\u2014-]|\d|\.|\band\b|\bor\b|\bto\b)*$")

problems = []
refs_ok = 0

def check_section(where, page, number):
    global refs_ok
    if page not in sections:
        problems.append(f"{where}: §{number} names {page}, which is not a page in docs/protocol")
    elif number not in sections[page]:
        problems.append(f"{where}: {page} has no section §{number}")
    else:
        refs_ok += 1

def check_line(rel, lineno, line, is_md, own_page):
    where = f"{rel}:{lineno}"
    here = os.path.dirname(os.path.join(root, rel))
    if OLD_SPEC in line:
        problems.append(f"{where}: points at the out-of-tree spec: {line.strip()}")
    # Markdown links first: the target decides the page; then blank them out.
    if is_md:
        def link(m):
            text, target = m.group(1), m.group(2)
            page = None
            if target.endswith(".md"):
                full = os.path.normpath(os.path.join(here, target))
                if os.path.dirname(full) == proto:
                    page = os.path.basename(full)
                    if not os.path.isfile(full):
                        problems.append(f"{where}: link to missing page {target}")
            for s in SECT.finditer(text):
                if page is None:
                    problems.append(f"{where}: §{s.group(1)} in a link that does not lead to "
                                    f"docs/protocol: [{text}]({target})")
                else:
                    check_section(where, page, s.group(1))
            return " " * len(m.group(0))
        line = LINK.sub(link, line)
    # Then page mentions and "§" in order; a "§" belongs to the mention (or "§") before it when
    # only separators stand between them.
    tokens = [(m.start(), m.end(), "page", m) for m in MENTION.finditer(line)]
    tokens += [(m.start(), m.end(), "sect", m) for m in SECT.finditer(line)]
    tokens.sort(key=lambda t: t[0])
    current, last_end = None, None
    for start, end, kind, m in tokens:
        if kind == "page":
            prefix, name = m.group(1), m.group(2) + ".md"
            if os.path.normpath(prefix).replace(os.sep, "/").endswith("docs/protocol") or \
               (prefix == "" and own_page is not None):
                current = name
            elif prefix.rstrip("/").endswith("docs/protocol"):
                current = name
            else:
                current = None
                problems.append(f"{where}: '{prefix}{name}' does not lead to docs/protocol "
                                f"(write docs/protocol/{name})")
                last_end = end
                current = "?"
            last_end = end
            continue
        number = m.group(1)
        attached = last_end is not None and JOIN.match(line[last_end:start]) is not None
        if attached and current == "?":
            pass  # already reported at the page mention
        elif attached and current is not None:
            check_section(where, current, number)
        elif own_page is not None:
            check_section(where, own_page, number)
        else:
            problems.append(f"{where}: §{number} does not say which docs/protocol page it means")
        if not attached:
            current = None if own_page is None else own_page
        last_end = end

for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames
                         if d != ".git" and not (dirpath == root and d.startswith("build")))
    for name in sorted(filenames):
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, root)
        if rel == os.path.join("scripts", "check-doc-refs.sh"):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        if "§" not in text and OLD_SPEC not in text and not re.search(
                r"(?<![\w-])(" + SPEC_PAGES + r")\.md", text):
            continue
        is_md = name.endswith(".md")
        own_page = name if os.path.dirname(path) == proto else None
        for lineno, line in enumerate(text.splitlines(), 1):
            check_line(rel, lineno, line, is_md, own_page)

for p in problems:
    print(p)
if problems:
    print(f"check-doc-refs: {len(problems)} unresolved reference(s)", file=sys.stderr)
    sys.exit(1)
print(f"check-doc-refs: {refs_ok} section references resolve to docs/protocol")
PY
