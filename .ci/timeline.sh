#!/usr/bin/env bash
# CI: the demo's timeline page in a real browser. Runs the README's demo
# (writes target/lambda-batch-demo/timeline.html), loads the page in
# Debian's headless Chromium, fails on any script error or console error
# the page raises, checks the rendered DOM (every lane, the failure reasons
# in the hover text, the DLQ label inside the drawing, the replayed
# deliveries of the idempotent handler: their mark, legend entry, hover
# text and count), and takes a screenshot to
# target/lambda-batch-demo/timeline.png.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null; then
    echo "--- installing chromium (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null

echo "--- cargo run -p lambda-batch-examples --example demo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run -q -p lambda-batch-examples --example demo >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
dir=target/lambda-batch-demo
page="$PWD/$dir/timeline.html"
test -s "$page"

# The page has no scripts of its own: load a copy with a window.onerror
# probe first, so a script error anywhere (ours or injected) is caught and
# written into the DOM, and the console log catches the rest.
python3 - "$page" "$work/probe.html" <<'PY'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
probe = ("<script>window.__errors=[];window.onerror=function(m,s,l){__errors.push(m+' @'+l)};"
         "window.addEventListener('load',function(){var d=document.createElement('pre');"
         "d.id='probe';d.textContent='PROBE-ERRORS:'+__errors.length+':'+__errors.join('|');"
         "document.body.appendChild(d)});</script>")
open(sys.argv[2], "w", encoding="utf-8").write(html.replace("<head>", "<head>" + probe, 1))
PY

chrome=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars)
echo "--- headless chromium: load the page, dump the DOM, collect the console"
timeout 120 "${chrome[@]}" --user-data-dir="$(mktemp -d -p "$work")" --enable-logging=stderr --v=0 --dump-dom "file://$work/probe.html" \
    >"$work/dom.html" 2>"$work/console.log"

status=0
fail() { echo "FAIL: $*" >&2; status=1; }
if grep -E 'Uncaught|CONSOLE|SyntaxError|ReferenceError|TypeError' "$work/console.log" | grep -v 'dbus' >"$work/errors"; then
    fail "script or console errors:"; cat "$work/errors" >&2
fi
grep -q 'PROBE-ERRORS:0:' "$work/dom.html" || fail "window.onerror fired: $(grep -o 'PROBE-ERRORS:[^<]*' "$work/dom.html" || echo 'probe missing (page did not load)')"

python3 - "$work/dom.html" "$page" <<'PY' || status=1
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
ok = True
def check(cond, what):
    global ok
    print(("   ok    " if cond else "   FAIL  ") + what)
    ok &= bool(cond)
svg = re.search(r'<svg[^>]*\bwidth="([\d.]+)"', dom)
check(svg, "the page has its SVG drawing")
lanes = re.findall(r'<text x="4" y="[\d.]+"><title>', dom)
check(len(lanes) == 24, f"24 message lanes drawn (found {len(lanes)})")
check(re.search(r'm-0001 \[customer-a\]</text>', dom), "lane labels show the message id and group as they are")
check(re.search(r'why: [^<]{10,}', dom), "failed attempts say why in their hover text")
check(re.search(r'why: the invocation timed out', dom), "a timed-out invocation is named as such")
check(re.search(r'held back behind a failed message of its FIFO group', dom), "the legend names held-back attempts")
check(re.search(r'<rect [^>]*fill="#fbe3e3"[^>]*stroke-dasharray="3,2"><title>invocation \d+: held back, will come back', dom),
      "a message held behind a failure of its group is drawn as held back, not as failed")
check(re.search(r'receive \d+ of \d+: the next receive moves it to the DLQ', dom),
      "an attempt one receive away from the DLQ says so")
replayed = "replayed: handled in an earlier delivery, not run again"
check(re.search(r'<span class="k" style="background:#2b7bb9"></span>attempt, ' + replayed, dom),
      "the legend names replayed attempts")
marks = re.findall(r'<rect [^>]*fill="#2b7bb9"><title>invocation \d+: ' + replayed + '; deleted', dom)
count = re.search(r'(\d+) deliveries replayed', dom)
check(count and len(marks) == int(count.group(1)) > 0,
      f"each replayed delivery has its own mark and hover text ({len(marks)} marks, header: {count.group(0) if count else 'no count'})")
dlq = re.search(r'<text x="([\d.]+)" y="[\d.]+" fill="#7b3fb5">(DLQ after \d+ receives)</text>', dom)
check(dlq, "the DLQ label is drawn")
if svg and dlq:
    right = float(dlq.group(1)) + 7.0 * len(dlq.group(2))
    check(right <= float(svg.group(1)), f"the DLQ label ends at {right:.0f}px, inside the {svg.group(1)}px drawing")
sys.exit(0 if ok else 1)
PY

echo "--- screenshot $dir/timeline.png"
timeout 120 "${chrome[@]}" --user-data-dir="$(mktemp -d -p "$work")" --window-size=1500,1000 --screenshot="$PWD/$dir/timeline.png" "file://$page" >/dev/null 2>&1
test -s "$dir/timeline.png" || fail "no screenshot written"

if [ "$status" -ne 0 ]; then echo "timeline: FAILED" >&2; exit 1; fi
echo "timeline: page loads without script errors, checks passed, screenshot at $dir/timeline.png"
