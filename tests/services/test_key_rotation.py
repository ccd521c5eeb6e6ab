"""RISK-3 key rotation: `rotate-keys` re-encrypts every *_cipher column under the new key."""

import pytest
from cryptography.fernet import Fernet

import settings
from models.accounts import User, UserIdentity
from services.accounts import identity, key_rotation
from services.core import sensitive
from tests.helpers import make_user
from tests.order_factories import make_buyer, make_shop, place

KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def keys(monkeypatch):
    def use(value: str) -> None:
        monkeypatch.setattr(settings, "DATA_KEYS", value)
        sensitive.reload_keys()

    yield use
    monkeypatch.undo()
    sensitive.reload_keys()


async def _every_token() -> list[tuple[str, str, str]]:
    """(model, column, token) of every non-empty value of every *_cipher column."""
    found = []
    for model, column in key_rotation.cipher_columns():
        for token in await model.filter(**{f"{column}__isnull": False}).values_list(column, flat=True):
            if token:
                found.append((model.__name__, column, token))
    return found


def test_every_cipher_column_is_discovered():
    names = {(m.__name__, c) for m, c in key_rotation.cipher_columns()}
    assert {
        ("User", "phone_cipher"),
        ("Address", "phone_cipher"),
        ("Merchant", "contact_phone_cipher"),
        ("Store", "phone_cipher"),
        ("Order", "address_phone_cipher"),
        ("UserIdentity", "real_name_cipher"),
        ("UserIdentity", "id_number_cipher"),
    } <= names
    assert all(c.endswith("_cipher") for _, c in names)


async def test_rotation_moves_everything_to_the_new_key(keys):
    # given data written under key A
    keys(KEY_A)
    buyer, address = await make_buyer()
    merchant, _, skus = await make_shop()
    await place(buyer, address, [(skus[0].id, 1)])
    for i in range(7):
        await make_user(f"u{i}", phone=f"+86137000001{i:02d}")
    await identity.submit_identity(buyer.id, "张三", "11010519491231002X")
    before = await _every_token()
    tables = {m for m, _, _ in before}
    assert {"User", "Address", "Order", "UserIdentity"} <= tables

    # when the ring becomes B,A and rotate-keys runs in small batches
    keys(f"{KEY_B},{KEY_A}")
    reports = await key_rotation.rotate_all(batch_size=3)
    assert sum(r.rotated for r in reports) == sum(r.scanned for r in reports) == len(before)
    assert sum(r.failed for r in reports) == 0
    # a second run has nothing left to do (idempotent)
    again = await key_rotation.rotate_all(batch_size=3)
    assert sum(r.rotated for r in again) == 0 and sum(r.scanned for r in again) == len(before)

    # then key B alone decrypts every value, to the same plain text
    plain_before = {}
    keys(f"{KEY_B},{KEY_A}")
    for model, column, token in before:
        plain_before.setdefault((model, column), []).append(sensitive.decrypt(token))
    keys(KEY_B)
    after = await _every_token()
    assert len(after) == len(before)
    plain_after = {}
    for model, column, token in after:
        plain_after.setdefault((model, column), []).append(sensitive.decrypt(token))
    assert {k: sorted(v) for k, v in plain_after.items()} == {k: sorted(v) for k, v in plain_before.items()}
    # and the old key alone opens nothing any more
    keys(KEY_A)
    for _, _, token in after:
        with pytest.raises(ValueError):
            sensitive.decrypt(token)
    # blind indexes do not depend on DATA_KEYS: lookups keep working
    keys(KEY_B)
    found = await User.get(phone_hash=sensitive.blind_index("+8613700000103"))
    assert found.phone == "+8613700000103"
    assert (await UserIdentity.get(user_id=buyer.id)).id_number == "11010519491231002X"


async def test_values_no_key_opens_are_reported_and_left_alone(keys):
    keys(KEY_C)
    lost = await make_user("lost", phone="+8613700000201")
    keys(KEY_A)
    kept = await make_user("kept", phone="+8613700000202")
    token_lost = (await User.get(id=lost.id)).phone_cipher
    keys(f"{KEY_B},{KEY_A}")
    reports = {(r.model, r.column): r for r in await key_rotation.rotate_all()}
    report = reports[("User", "phone_cipher")]
    assert (report.scanned, report.rotated, report.failed) == (2, 1, 1)
    assert (await User.get(id=lost.id)).phone_cipher == token_lost
    assert (await User.get(id=kept.id)).phone == "+8613700000202"
