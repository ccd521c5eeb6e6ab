"""WeChat mini-program sign-in (`wx.login` code -> openid) behind one adapter.

`WeChatMiniProgramAdapter` calls the real `jscode2session` endpoint; `FakeWeChatAdapter`
serves dev and tests: the code "wx:<openid>" signs in as that openid, anything else fails.
Set WECHAT_ADAPTER=wechat (with WECHAT_APP_ID / WECHAT_APP_SECRET), fake, or module:Class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

import settings
from services.core.errors import DomainError, ErrorCode
from services.core.plugins import PluginSlot


@dataclass(frozen=True)
class WeChatIdentity:
    openid: str
    unionid: str | None = None


class WeChatAdapter(Protocol):
    async def code_to_identity(self, code: str) -> WeChatIdentity: ...


def _invalid() -> DomainError:
    return DomainError(ErrorCode.WECHAT_CODE_INVALID, "The WeChat login code is invalid or used.", "code")


class FakeWeChatAdapter:
    async def code_to_identity(self, code: str) -> WeChatIdentity:
        prefix = "wx:"
        if not code.startswith(prefix) or not (3 <= len(code) - len(prefix) <= 64):
            raise _invalid()
        openid = code[len(prefix) :]
        return WeChatIdentity(openid=openid, unionid=f"union-{openid}")


class WeChatMiniProgramAdapter:
    URL = "https://api.weixin.qq.com/sns/jscode2session"

    def __init__(self) -> None:
        if not (settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET):
            raise RuntimeError("WECHAT_APP_ID and WECHAT_APP_SECRET are required")

    async def code_to_identity(self, code: str) -> WeChatIdentity:
        params = {
            "appid": settings.WECHAT_APP_ID,
            "secret": settings.WECHAT_APP_SECRET,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        async with httpx.AsyncClient(timeout=5) as client:
            data = (await client.get(self.URL, params=params)).json()
        if data.get("errcode") or not data.get("openid"):
            raise _invalid()
        return WeChatIdentity(openid=data["openid"], unionid=data.get("unionid"))


_slot: PluginSlot[WeChatAdapter] = PluginSlot(
    lambda: settings.WECHAT_ADAPTER, {"fake": FakeWeChatAdapter, "wechat": WeChatMiniProgramAdapter}
)
get_adapter = _slot.get
set_adapter = _slot.set
