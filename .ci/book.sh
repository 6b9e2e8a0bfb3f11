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

echo "--- relative links in book/src and README.md"
python3 - <<'PY'
import pathlib, re, sys

def heading_ids(path):
    """The ids mdBook gives the headings of a Markdown file."""
    ids, seen, fence = set(), {}, False
    for line in path.read_text().splitlines():
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
files = sorted(pathlib.Path("book/src").rglob("*.md")) + [pathlib.Path("README.md")]
broken, checked = [], 0
for path in files:
    fence = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
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
for line in broken:
    print(f"BROKEN LINK {line}", file=sys.stderr)
print(f"{checked} relative links checked, {len(broken)} broken")
sys.exit(1 if broken else 0)
PY
