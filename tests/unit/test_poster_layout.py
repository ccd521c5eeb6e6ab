"""Share poster layout, pure: template data checked, Chinese titles wrapped by measured width
(never wider, at most N lines, cut with …), draw operations in painting order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.errors import DomainError, ErrorCode
from services.distribution.posters import layout as lay


def measure(text: str, size: int) -> int:
    """A monospace stand-in: CJK characters a full em, the rest half."""
    return sum(size if ord(c) > 0x2E7F else size // 2 for c in text)


def test_a_chinese_title_wraps_by_width_and_is_cut_with_an_ellipsis():
    rows = lay.wrap("云南高山有机普洱茶礼盒装送礼佳品", 100, 20, 2, measure)
    assert rows == ["云南高山有", "机普洱茶…"]
    assert lay.wrap("短标题", 100, 20, 2, measure) == ["短标题"]


def test_a_latin_word_is_kept_whole_when_a_space_is_near():
    assert lay.wrap("Apple iPhone charger", 100, 20, 3, measure) == ["Apple", "iPhone", "charger"]


@given(st.text(alphabet="茶礼盒ab c1", min_size=1, max_size=60), st.integers(20, 400), st.integers(1, 4))
def test_wrapped_lines_never_overflow_and_never_exceed_the_count(text, width, lines):
    rows = lay.wrap(text, width, 20, lines, measure)
    assert 1 <= len(rows) <= lines or not text.strip()
    for row in rows:
        assert measure(row, 20) <= width or len(row) <= 2  # one glyph (plus …) always goes


def test_the_default_layout_parses_and_round_trips():
    layout = lay.parse(lay.DEFAULT)
    assert lay.parse(lay.to_data(layout)) == layout


@pytest.mark.parametrize(
    "change, field",
    [
        ({"width": 50}, "layout"),
        ({"background": "red"}, "layout"),
        ({"qr": {"x": 700, "y": 10, "w": 100, "h": 100}}, "qr"),  # out of the poster
        ({"title": {**lay.DEFAULT["title"], "lines": 9}}, "title"),
        ({"image": None}, "image"),
        ({"caption_text": "长" * 40}, "captionText"),
    ],
)
def test_a_bad_layout_is_refused_with_its_part(change, field):
    with pytest.raises(DomainError) as refused:
        lay.parse(lay.DEFAULT | change)
    assert refused.value.code == ErrorCode.INVALID_INPUT and refused.value.field == field


def test_the_plan_paints_background_picture_texts_avatar_and_the_qr_of_the_link():
    content = lay.Content("普洱茶", lay.price_text(9_950), "小明", "http://x/r/ABCD?product=Z")
    ops = lay.plan(lay.parse(lay.DEFAULT), content, measure)
    assert isinstance(ops[0], lay.Fill) and ops[1] == lay.Picture("image", lay.parse(lay.DEFAULT).image, False)
    texts = [op.text for op in ops if isinstance(op, lay.Text)]
    assert texts == ["普洱茶", "¥99.50", "小明", lay.DEFAULT["caption_text"]]
    assert ops[-1] == lay.Qr("http://x/r/ABCD?product=Z", lay.parse(lay.DEFAULT).qr)
