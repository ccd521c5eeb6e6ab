"""Pure parts of the material library (MKT-5): an invite code carrying a material round-trips
(any code, any material id; anything else is a plain code), and a material's input is checked
field by field (kind, title, links, what it is tied to)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.accounts.referral import ALPHABET, reference, split_reference
from services.core.errors import DomainError, ErrorCode
from services.marketing.materials import MaterialData, clean, copy_text

codes = st.text(alphabet=ALPHABET, min_size=4, max_size=12)
ids = st.integers(min_value=1, max_value=10**18 - 1)


@given(codes, ids)
def test_a_code_carrying_a_material_round_trips(code, material_id):
    shared = reference(code, material_id)
    assert split_reference(shared) == (code, material_id)
    assert split_reference(f"  {shared.lower()} ") == (code, material_id)


@given(codes)
def test_a_plain_code_carries_no_material(code):
    assert reference(code) == code and split_reference(code) == (code, None)


@pytest.mark.parametrize("text", ["ABCD2345-M0", "ABCD2345-M", "ABCD2345-X12", "AB-M12", "ABCD2345-M12-M3", ""])
def test_anything_else_is_no_material(text):
    assert split_reference(text)[1] is None


def _refusal(data: MaterialData) -> tuple[ErrorCode, str | None]:
    with pytest.raises(DomainError) as caught:
        clean(data)
    return caught.value.code, caught.value.field


def test_input_is_checked_field_by_field():
    ok = MaterialData(kind="TEXT", title=" 文案 ", body="好物", product_id=1)
    assert clean(ok)["title"] == "文案"
    bad = ErrorCode.INVALID_INPUT
    assert _refusal(MaterialData(kind="AUDIO", title="x", body="y", product_id=1)) == (bad, "kind")
    assert _refusal(MaterialData(kind="TEXT", title="", body="y", product_id=1)) == (bad, "title")
    assert _refusal(MaterialData(kind="TEXT", title="x", body="", product_id=1)) == (bad, "body")
    assert _refusal(MaterialData(kind="TEXT", title="x", body="y")) == (bad, "productId")
    assert _refusal(MaterialData(kind="IMAGE", title="x", category_id=1)) == (bad, "imageUrls")
    assert _refusal(MaterialData(kind="VIDEO", title="x", video_url="rtmp://v/1", product_id=1)) == (bad, "videoUrl")
    assert _refusal(MaterialData(kind="TEXT", title="x", body="y", activity_kind="LIVE", activity_id=1)) == (
        bad,
        "activity",
    )
    assert _refusal(MaterialData(kind="TEXT", title="x", body="y", product_id=1, sort_order=10**7)) == (
        bad,
        "sortOrder",
    )
    video = clean(
        MaterialData(
            kind="VIDEO", title="x", video_url="https://v.example.com/1.mp4", activity_kind="FLASH_ITEM", activity_id=3
        )
    )
    assert (video["video_url"], video["activity_kind"], video["activity_id"]) == (
        "https://v.example.com/1.mp4",
        "FLASH_ITEM",
        3,
    )


@given(st.text(max_size=50), st.none() | st.text(min_size=1, max_size=80))
def test_copy_text_is_the_text_then_the_link(body, link):
    class Row:
        title = "标题"

    row = Row()
    row.body = body
    text = copy_text(row, link)
    assert text.startswith(body or "标题")
    assert text.endswith(link) if link else text == (body or "标题")
