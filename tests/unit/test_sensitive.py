"""services.core.sensitive: encryption round trip, key rotation, blind index, masks."""

from cryptography.fernet import Fernet

import settings
from services.core import sensitive


def test_round_trip_and_no_plain_text():
    token = sensitive.encrypt("13800138000")
    assert "13800138000" not in token
    assert sensitive.decrypt(token) == "13800138000"


def test_rotation_keeps_old_tokens_readable_and_rewrites_them(monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setattr(settings, "DATA_KEYS", old)
    sensitive.reload_keys()
    token = sensitive.encrypt("6222020200001234567")
    monkeypatch.setattr(settings, "DATA_KEYS", f"{new},{old}")
    sensitive.reload_keys()
    assert sensitive.decrypt(token) == "6222020200001234567"
    rotated = sensitive.rotate(token)
    monkeypatch.setattr(settings, "DATA_KEYS", new)
    sensitive.reload_keys()
    assert sensitive.decrypt(rotated) == "6222020200001234567"
    try:
        sensitive.decrypt(token)
    except ValueError:
        pass
    else:
        raise AssertionError("a token under a dropped key must not decrypt")
    monkeypatch.undo()
    sensitive.reload_keys()


def test_blind_index_is_keyed_and_stable():
    assert sensitive.blind_index("13800138000") == sensitive.blind_index(" 13800138000 ")
    assert sensitive.blind_index("13800138000") != sensitive.blind_index("13800138001")
    assert len(sensitive.blind_index("x")) == 64


def test_masks():
    assert sensitive.mask_id_number("110101199003071234") == "110101********1234"
    assert sensitive.mask_bank_account("6222020200001234567") == "**** 4567"
    assert sensitive.mask_middle("ab", 1, 1) == "****"
    assert sensitive.mask_middle("13800138000", 3, 4) == "138****8000"
