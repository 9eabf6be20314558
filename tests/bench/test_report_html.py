"""The report page: one figure per row with a caption and a link to full size, settings as a table."""

from __future__ import annotations

from html.parser import HTMLParser

from dynafold.bench.report import ROWS, index_html


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.images: list[tuple[str, list[tuple[str, dict]]]] = []
        self.captions: list[str] = []
        self.settings_rows: list[list[str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append((tag, dict(attrs)))
        if tag == "img":
            self.images.append((dict(attrs)["src"], list(self.stack)))
            self.stack.pop()
        if tag == "tr" and any(t == "table" and a.get("id") == "settings" for t, a in self.stack):
            self.settings_rows.append([])

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        self.text.append(data)
        if self.stack and self.stack[-1][0] == "figcaption":
            self.captions.append(data)
        if self.stack and self.stack[-1][0] in ("th", "td") and self.settings_rows and any(
                t == "table" and a.get("id") == "settings" for t, a in self.stack):
            self.settings_rows[-1].append(data)


def test_figures_are_captioned_linked_and_settings_tabulated(tmp_path):
    table = {"anm": {key: 0.5 for key, _, _ in ROWS}}
    images = {"anm": [tmp_path / "plots" / "anm_scatter.png", tmp_path / "plots" / "anm" / "1l2y.png"]}
    settings = {"samples": 12, "atoms": "ca", "generators": ["anm", "gnm"]}
    page = index_html(table, [], images, {"settings": settings, "targets": {"1l2y": {}}}, tmp_path)
    tree = _Tree()
    tree.feed(page)
    assert [src for src, _ in tree.images] == ["plots/anm_scatter.png", "plots/anm/1l2y.png"]
    for src, ancestors in tree.images:
        tags = [t for t, _ in ancestors]
        assert tags[-3:] == ["figure", "a", "img"]
        assert ancestors[-2][1]["href"] == src  # a click opens the full-size image
    assert len(tree.captions) == 2
    assert "anm on 1l2y" in tree.captions[1] and "click for full size" in tree.captions[1]
    assert tree.settings_rows == [["samples", "12"], ["atoms", "ca"], ["generators", '["anm", "gnm"]']]
    assert "samples&quot;" not in page and "{&quot;" not in page  # no raw JSON of the settings
    assert "max-width:100%" in page and "grid" not in page  # one figure per row at the page's width
