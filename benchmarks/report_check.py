"""Open a benchmark report's index.html in headless Chromium and check what it shows.

Usage: python benchmarks/report_check.py REPORT_DIR/index.html [--screenshot OUT.png]

Checks: Chromium renders the page (DOM dump, 1280 px wide window) with the
results table and every image; each image file exists and decodes as PNG;
each plot stands in its own figure with a caption and a link to the full-size
file; the settings are a table, not raw JSON; Chromium logs no failed file
load; the screenshot is written and not blank. Prints what it saw (notes) and
exits 0 when all pass, 1 otherwise (each problem printed on one line).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

WINDOW = (1280, 2400)  # a laptop-width window, in CSS pixels
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--enable-logging=stderr", "--v=0"]


def chromium() -> str | None:
    """Path of a Chromium executable, or None."""
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tables: list[str] = []
        self.cells = 0
        self.open: list[tuple[str, dict]] = []
        self.unframed: list[str] = []  # images not inside <figure><a href=itself>
        self.captions = 0
        self.settings_rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            src = a.get("src") or ""
            self.images.append(src)
            tags = [t for t, _ in self.open]
            link = next((x for t, x in reversed(self.open) if t == "a"), {})
            if "figure" not in tags or link.get("href") != src:
                self.unframed.append(src)
            return
        self.open.append((tag, a))
        if tag == "table":
            self.tables.append(a.get("id") or "")
        elif tag == "td":
            self.cells += 1
        elif tag == "figcaption":
            self.captions += 1
        elif tag == "tr" and any(t == "table" and x.get("id") == "settings" for t, x in self.open):
            self.settings_rows += 1

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass


def check(index: Path, screenshot: Path, timeout_s: float = 120, notes: list[str] | None = None) -> list[str]:
    """Problems found with the report at ``index`` (empty when it is fine); what was seen goes to ``notes``."""
    exe = chromium()
    if exe is None:
        return ["chromium not found (apt-get install -y chromium)"]
    index = index.resolve()
    url = index.as_uri()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as profile:
        flags = CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]
        dom = subprocess.run([exe, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=timeout_s)
        size = f"--window-size={WINDOW[0]},{WINDOW[1]}"
        shot = subprocess.run([exe, *flags, f"--screenshot={screenshot}", size, url],
                              capture_output=True, text=True, timeout=timeout_s)
    if dom.returncode != 0 or not dom.stdout.strip():
        problems.append(f"chromium could not render the page (exit {dom.returncode})")
    for log in (dom.stderr, shot.stderr):
        for line in log.splitlines():
            if re.search(r"ERR_FILE_NOT_FOUND|Failed to load|Uncaught|CONSOLE\(\d+\).*error", line):
                problems.append(f"chromium: {line.strip()}")
    page = _Page()
    page.feed(dom.stdout)
    if "results" not in page.tables or page.cells == 0:
        problems.append("the rendered page has no results table")
    if not page.images:
        problems.append("the rendered page shows no plot")
    if page.unframed:
        problems.append(f"{len(page.unframed)} plot(s) without a figure linking to the full size: "
                        f"{', '.join(page.unframed[:3])}")
    if page.captions < len(page.images):
        problems.append(f"{len(page.images) - page.captions} plot(s) without a caption")
    if "settings" not in page.tables:
        problems.append("the settings are not shown as a table")
    if notes is not None:
        notes.append(f"window {WINDOW[0]} px wide; {len(page.images)} plots, one per row, "
                     f"{page.captions} captions, {len(page.images) - len(page.unframed)} linked to full size; "
                     f"settings table with {page.settings_rows} rows")
    for src in page.images:
        path = index.parent / src
        if not path.is_file() or path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            problems.append(f"image {src} is missing or not a PNG")
    if not screenshot.is_file():
        problems.append("no screenshot was written")
    else:
        import matplotlib.image as mpimg

        pixels = mpimg.imread(screenshot)
        if pixels.std() < 1e-3:
            problems.append("the screenshot is blank")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args(argv)
    screenshot = args.screenshot or args.index.with_name("screenshot.png")
    notes: list[str] = []
    problems = check(args.index, screenshot, notes=notes)
    for note in notes:
        print(f"report_check: {note}")
    for p in problems:
        print(f"report_check: {p}", file=sys.stderr)
    if not problems:
        print(f"report_check: ok ({screenshot})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
