"""Sign-in by SMS and WeChat, token refresh and rotation, sign-out, rate limits."""

from datetime import timedelta

import pytest

import settings
from models.accounts import SmsCode, User
from services.core import clock
from services.core.sensitive import blind_index
from tests.helpers import make_user, next_phone, outbox

REQUEST = "mutation($p: String!) { requestSmsCode(phone: $p) { phone expiresInSeconds retryAfterSeconds errors { code field } } }"
SIGN_IN = """mutation($p: String!, $c: String!, $i: String) {
  signInWithSms(phone: $p, code: $c, inviteCode: $i) {
    isNewUser user { id phone inviteCode upline { id } }
    tokens { accessToken refreshToken }
    errors { code field }
  }
}"""
REFRESH = (
    "mutation($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken refreshToken } errors { code } } }"
)
ME = "{ me { id phone nickname } }"


async def sign_in(api, phone=None, invite=None):
    phone = phone or next_phone()
    sent = (await api(REQUEST, {"p": phone}))["requestSmsCode"]
    assert sent["errors"] == []
    code = outbox().last_code(sent["phone"])
    return (await api(SIGN_IN, {"p": phone, "c": code, "i": invite}))["signInWithSms"]


async def test_sms_sign_up_then_me(api):
    result = await sign_in(api, "138 0013 8000")
    assert result["errors"] == [] and result["isNewUser"] is True
    assert result["user"]["phone"] == "+8613800138000"
    me = (await api(ME, token=result["tokens"]["accessToken"]))["me"]
    assert me["id"] == result["user"]["id"] and me["phone"] == "+8613800138000"


async def test_second_sign_in_is_the_same_user(api):
    first = await sign_in(api, "13800138001")
    clock.advance(timedelta(seconds=settings.SMS_PHONE_COOLDOWN_SECONDS + 1))
    second = await sign_in(api, "13800138001")
    assert second["isNewUser"] is False and second["user"]["id"] == first["user"]["id"]


async def test_codes_are_stored_hashed(api):
    await api(REQUEST, {"p": "13800138002"})
    code = outbox().last_code("+8613800138002")
    row = await SmsCode.get(phone_hash=blind_index("+8613800138002"))
    assert code not in row.code_hash and len(row.code_hash) == 64


async def test_anonymous_me_is_null(api):
    assert (await api(ME))["me"] is None


async def test_wrong_code(api):
    phone = next_phone()
    await api(REQUEST, {"p": phone})
    result = (await api(SIGN_IN, {"p": phone, "c": "000000" if outbox().last_code(phone) != "000000" else "111111"}))[
        "signInWithSms"
    ]
    assert result["errors"] == [{"code": "CODE_INVALID", "field": ["code"]}]
    assert result["tokens"] is None
    assert not await User.exists(phone_hash=blind_index(phone))


async def test_expired_code(api):
    phone = next_phone()
    await api(REQUEST, {"p": phone})
    clock.advance(timedelta(seconds=settings.SMS_CODE_TTL_SECONDS + 1))
    result = (await api(SIGN_IN, {"p": phone, "c": outbox().last_code(phone)}))["signInWithSms"]
    assert [e["code"] for e in result["errors"]] == ["CODE_EXPIRED"]
    assert not await User.exists(phone_hash=blind_index(phone))


async def test_too_many_wrong_tries_burn_the_code(api):
    phone = next_phone()
    await api(REQUEST, {"p": phone})
    right = outbox().last_code(phone)
    wrong = "999999" if right != "999999" else "888888"
    for _ in range(settings.SMS_CODE_MAX_ATTEMPTS):
        result = (await api(SIGN_IN, {"p": phone, "c": wrong}))["signInWithSms"]
        assert result["errors"][0]["code"] == "CODE_INVALID"
    result = (await api(SIGN_IN, {"p": phone, "c": right}))["signInWithSms"]
    assert result["errors"][0]["code"] == "CODE_ATTEMPTS_EXCEEDED"


async def test_code_is_single_use(api):
    phone = next_phone()
    await api(REQUEST, {"p": phone})
    code = outbox().last_code(phone)
    assert (await api(SIGN_IN, {"p": phone, "c": code}))["signInWithSms"]["errors"] == []
    again = (await api(SIGN_IN, {"p": phone, "c": code}))["signInWithSms"]
    assert again["errors"][0]["code"] == "CODE_INVALID"


async def test_invalid_phone(api):
    result = (await api(REQUEST, {"p": "12345"}))["requestSmsCode"]
    assert result["errors"] == [{"code": "INVALID_PHONE", "field": ["phone"]}]
    assert await SmsCode.all().count() == 0


async def test_rate_limit_per_phone_cooldown_and_daily(api):
    phone = next_phone()
    assert (await api(REQUEST, {"p": phone}))["requestSmsCode"]["errors"] == []
    again = (await api(REQUEST, {"p": phone}))["requestSmsCode"]
    assert again["errors"][0]["code"] == "RATE_LIMITED"
    for _ in range(settings.SMS_PHONE_DAILY_LIMIT - 1):
        clock.advance(timedelta(seconds=settings.SMS_PHONE_COOLDOWN_SECONDS + 1))
        assert (await api(REQUEST, {"p": phone}))["requestSmsCode"]["errors"] == []
    clock.advance(timedelta(seconds=settings.SMS_PHONE_COOLDOWN_SECONDS + 1))
    over = (await api(REQUEST, {"p": phone}))["requestSmsCode"]
    assert over["errors"][0]["code"] == "RATE_LIMITED"
    assert await SmsCode.filter(phone_hash=blind_index(phone)).count() == settings.SMS_PHONE_DAILY_LIMIT


async def test_rate_limit_per_ip(api):
    for _ in range(settings.SMS_IP_HOURLY_LIMIT):
        assert (await api(REQUEST, {"p": next_phone()}))["requestSmsCode"]["errors"] == []
    over = (await api(REQUEST, {"p": next_phone()}))["requestSmsCode"]
    assert over["errors"][0]["code"] == "RATE_LIMITED"
    assert await SmsCode.all().count() == settings.SMS_IP_HOURLY_LIMIT


async def test_refresh_rotates_and_reuse_revokes_the_session(api):
    tokens = (await sign_in(api))["tokens"]
    rotated = (await api(REFRESH, {"t": tokens["refreshToken"]}))["refreshToken"]
    assert rotated["errors"] == []
    new = rotated["tokens"]
    assert new["refreshToken"] != tokens["refreshToken"]
    assert (await api(ME, token=new["accessToken"]))["me"] is not None
    # the old refresh token comes back: theft; the whole session ends
    reused = (await api(REFRESH, {"t": tokens["refreshToken"]}))["refreshToken"]
    assert reused["errors"] == [{"code": "TOKEN_REVOKED"}]
    assert await api.error_code(ME, token=new["accessToken"]) == "TOKEN_REVOKED"
    after = (await api(REFRESH, {"t": new["refreshToken"]}))["refreshToken"]
    assert after["errors"] == [{"code": "TOKEN_REVOKED"}]


async def test_unknown_refresh_token(api):
    result = (await api(REFRESH, {"t": "nope"}))["refreshToken"]
    assert result["errors"] == [{"code": "TOKEN_INVALID"}]


async def test_expired_refresh_token(api):
    tokens = (await sign_in(api))["tokens"]
    clock.advance(timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS + 1))
    result = (await api(REFRESH, {"t": tokens["refreshToken"]}))["refreshToken"]
    assert result["errors"] == [{"code": "TOKEN_EXPIRED"}]


async def test_expired_access_token_says_so(api):
    tokens = (await sign_in(api))["tokens"]
    clock.advance(timedelta(seconds=settings.ACCESS_TOKEN_TTL_SECONDS + 1))
    assert await api.error_code(ME, token=tokens["accessToken"]) == "TOKEN_EXPIRED"
    assert await api.error_code("{ myNotifications { nodes { id } } }", token=tokens["accessToken"]) == "TOKEN_EXPIRED"


async def test_garbage_token(api):
    assert await api.error_code(ME, token="not.a.jwt") == "TOKEN_INVALID"


async def test_sign_out_revokes_access_and_refresh(api):
    tokens = (await sign_in(api))["tokens"]
    out = await api("mutation { signOut { ok errors { code } } }", token=tokens["accessToken"])
    assert out["signOut"] == {"ok": True, "errors": []}
    assert await api.error_code(ME, token=tokens["accessToken"]) == "TOKEN_REVOKED"
    result = (await api(REFRESH, {"t": tokens["refreshToken"]}))["refreshToken"]
    assert result["errors"] == [{"code": "TOKEN_REVOKED"}]


async def test_sign_out_everywhere(api):
    phone = next_phone()
    first = (await sign_in(api, phone))["tokens"]
    clock.advance(timedelta(seconds=settings.SMS_PHONE_COOLDOWN_SECONDS + 1))
    second = (await sign_in(api, phone))["tokens"]
    await api("mutation { signOutEverywhere { ok } }", token=second["accessToken"])
    for tokens in (first, second):
        assert await api.error_code(ME, token=tokens["accessToken"]) == "TOKEN_REVOKED"


async def test_disabled_account_cannot_sign_in(api):
    user = await make_user(phone="+8613800138009")
    await User.filter(id=user.id).update(is_active=False)
    await api(REQUEST, {"p": "+8613800138009"})
    result = (await api(SIGN_IN, {"p": "+8613800138009", "c": outbox().last_code("+8613800138009")}))["signInWithSms"]
    assert result["errors"][0]["code"] == "ACCOUNT_DISABLED"


WECHAT = "mutation($c: String!, $i: String) { signInWithWechat(code: $c, inviteCode: $i) { isNewUser user { id hasWechat } tokens { accessToken } errors { code } } }"


async def test_wechat_sign_in_creates_then_finds_the_user(api):
    first = (await api(WECHAT, {"c": "wx:openid-abc"}))["signInWithWechat"]
    assert first["errors"] == [] and first["isNewUser"] and first["user"]["hasWechat"]
    second = (await api(WECHAT, {"c": "wx:openid-abc"}))["signInWithWechat"]
    assert second["isNewUser"] is False and second["user"]["id"] == first["user"]["id"]


async def test_wechat_bad_code(api):
    result = (await api(WECHAT, {"c": "forged"}))["signInWithWechat"]
    assert result["errors"] == [{"code": "WECHAT_CODE_INVALID"}]
    assert await User.all().count() == 0


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer "])
async def test_malformed_authorization_header(api, header):
    body = await api.raw(ME, headers={"Authorization": header})
    assert body["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"
