"""Callback signatures (services/core/signing.py): any change to the secret, timestamp, nonce
or body breaks the signature."""

from services.core import signing

SECRET, TS, NONCE, BODY = "s3cret", "1781056800", "a1b2c3d4", b'{"id":"1"}'


def test_a_signature_verifies_with_the_same_parts():
    sig = signing.sign(SECRET, TS, NONCE, BODY)
    assert len(sig) == 64 and set(sig) <= set("0123456789abcdef")  # hex SHA-256
    assert signing.verify(SECRET, TS, NONCE, BODY, sig)


def test_any_changed_part_fails():
    sig = signing.sign(SECRET, TS, NONCE, BODY)
    assert not signing.verify("other", TS, NONCE, BODY, sig)
    assert not signing.verify(SECRET, "1781056801", NONCE, BODY, sig)
    assert not signing.verify(SECRET, TS, "a1b2c3d5", BODY, sig)
    assert not signing.verify(SECRET, TS, NONCE, BODY + b" ", sig)
    assert not signing.verify(SECRET, TS, NONCE, BODY, sig[:-1] + ("0" if sig[-1] != "0" else "1"))


def test_a_signature_with_non_ascii_characters_is_refused_not_an_error():
    sig = signing.sign(SECRET, TS, NONCE, BODY)
    for forged in ("签名" + sig[2:], sig[:-1] + "é", "\udcff" * 64, ""):
        assert not signing.verify(SECRET, TS, NONCE, BODY, forged)
