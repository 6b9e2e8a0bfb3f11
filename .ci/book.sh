#!/usr/bin/env bash
# CI: the guide in book/ builds with mdBook, and every relative link of its
# chapters (and of the README) resolves: the file exists and, for a link
# with a #fragment, the heading exists (ids as mdBook 0.4 makes them).
# mdBook 0.4 has no link check of its own (that is the separate
# mdbook-linkcheck backend), hence the small Python check below. Its Rust
# blocks are compiled and run by `cargo test --workspace` (examples/build.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mdbook >/dev/null 2>&1; then
    echo "mdbook is not on PATH: installing it (cargo install mdbook --locked --version ^0.4; a few minutes)"
    # Its own build directory, not the workspace's target.
    env -u CARGO_TARGET_DIR cargo install mdbook --locked --version '^0.4'
fi
echo "--- mdbook build book ($(mdbook --version))"
mdbook build book

echo "--- relative links in book/src, docs and README.md; sections of lambda_batch::aws_rules named in code"
python3 - <<'PY'
import pathlib, re, sys

INCLUDE = re.compile(r"^\{\{#include\s+(\S+?)\s*\}\}$")

def chapter_lines(path):
    """A Markdown file as mdBook reads it: `{{#include file}}` lines replaced
    by the file (the AWS rules chapter is the lambda-batch crate's
    `runtime/src/aws_rules.md`, so that docs.rs shows it too)."""
    lines = []
    for line in path.read_text().splitlines():
        match = INCLUDE.match(line.strip())
        lines.extend(chapter_lines(path.parent / match.group(1)) if match else [line])
    return lines

def heading_ids(path):
    """The ids mdBook (and rustdoc) give the headings of a Markdown file."""
    ids, seen, fence = set(), {}, False
    for line in chapter_lines(path):
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        match = None if fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1)).replace("`", "")
        base = "".join(c.lower() if c.isalnum() or c in "_-" else "-" if c.isspace() else ""
                       for c in text)
        n = seen.get(base, 0)
        ids.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return ids

link = re.compile(r"\]\(([^)\s]+)\)")
files = (sorted(pathlib.Path("book/src").rglob("*.md")) + sorted(pathlib.Path("docs").glob("*.md"))
         + [pathlib.Path("README.md")])
broken, checked = [], 0
for path in files:
    fence = False
    for number, line in enumerate(chapter_lines(path), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
        if fence:
            continue
        for target in link.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"^[a-z]+:", target):
                continue  # http(s), mailto: not checked here
            checked += 1
            file, _, fragment = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path.resolve()
            where = f"{path}:{number}: {target}"
            if not resolved.exists():
                broken.append(f"{where}: no such file")
            elif fragment and resolved.suffix == ".md" and fragment not in heading_ids(resolved):
                broken.append(f"{where}: no heading with id '{fragment}' in {resolved.name}")

# Code names sections of the AWS rules page three ways: intra-doc links
# (`crate::aws_rules#id`, `lambda_batch::aws_rules#id`), the web addresses
# `Finding::reference` builds (`aws_rules_section!("id")`), and the titles
# the macro's errors quote ("Title" in the documentation of ...).
rules = pathlib.Path("runtime/src/aws_rules.md")
ids = heading_ids(rules)
titles = {re.sub(r"^#+\s+", "", line) for line in chapter_lines(rules) if line.startswith("#")}
named = 0
for path in sorted(p for root in ("runtime", "macros", "testkit", "bridge") for p in pathlib.Path(root).rglob("*.rs")):
    source = path.read_text()
    for number, line in enumerate(source.splitlines(), 1):
        for section in re.findall(r"aws_rules#([A-Za-z0-9_-]+)", line) + re.findall(r'aws_rules_section!\("([^"]+)"\)', line):
            named += 1
            if section not in ids:
                broken.append(f"{path}:{number}: no section with id '{section}' in {rules}")
    for title in re.findall(r'\\?"([^"\\]+)\\?" in the documentation of `lambda_batch::aws_rules`', source):
        named += 1
        if title not in titles:
            broken.append(f"{path}: no section titled '{title}' in {rules}")
for line in broken:
    print(f"BROKEN LINK {line}", file=sys.stderr)
print(f"{checked} relative links and {named} sections named in code checked, {len(broken)} broken")
sys.exit(1 if broken else 0)
PY
