"""Share posters (MKT-5): the poster of a product or flash item for the signed-in distributor
(a signed PNG URL), and the platform's poster templates (layout as data)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.errors import UserError
from schema.node import Node, node_id
from services.distribution.posters import layout as lay


@strawberry.type(description="A share poster (推广海报): a PNG to save or share, whose QR code opens my tracked link.")
class SharePoster:
    url: str = strawberry.field(
        description="The PNG (image/png), signed: fetch it without a token (Taro.downloadFile, <img>), until expiresAt."
    )
    link: str = strawberry.field(description="The tracked link the QR code encodes (counts my clicks).")
    width: int = strawberry.field(description="Width in px.")
    height: int = strawberry.field(description="Height in px.")
    expires_at: datetime = strawberry.field(description="When the URL stops working: ask for the poster again.")
    template_id: strawberry.ID | None = strawberry.field(description="The template drawn; null: the built-in one.")


@strawberry.type(description="A box on the poster, in px from the top left.")
class PosterBox:
    x: int = strawberry.field(description="Left.")
    y: int = strawberry.field(description="Top.")
    width: int = strawberry.field(description="Width.")
    height: int = strawberry.field(description="Height.")

    @classmethod
    def of(cls, box: lay.Box) -> PosterBox:
        return cls(x=box.x, y=box.y, width=box.w, height=box.h)


@strawberry.type(description="Where and how a text is drawn.")
class PosterText:
    x: int = strawberry.field(description="Left.")
    y: int = strawberry.field(description="Top of the first line.")
    width: int = strawberry.field(description="The width it wraps at.")
    size: int = strawberry.field(description="Font size in px.")
    colour: str = strawberry.field(description="#RRGGBB.")
    lines: int = strawberry.field(description="At most this many lines (the last one cut with …).")
    line_height: int = strawberry.field(description="Px from line to line; 0: 1.4 × size.")

    @classmethod
    def of(cls, style: lay.TextStyle) -> PosterText:
        return cls(
            x=style.x,
            y=style.y,
            width=style.w,
            size=style.size,
            colour=style.colour,
            lines=style.lines,
            line_height=style.line_height,
        )


@strawberry.type(description="A poster template's layout: size, background and where each part goes.")
class PosterLayout:
    layout: strawberry.Private[lay.Layout]

    @strawberry.field(description="Width in px.")
    def width(self) -> int:
        return self.layout.width

    @strawberry.field(description="Height in px.")
    def height(self) -> int:
        return self.layout.height

    @strawberry.field(description="Background colour, #RRGGBB.")
    def background(self) -> str:
        return self.layout.background

    @strawberry.field(description="The product image (cropped to fill).")
    def image(self) -> PosterBox:
        return PosterBox.of(self.layout.image)

    @strawberry.field(description="The product title (Chinese wrapped by width).")
    def title(self) -> PosterText:
        return PosterText.of(self.layout.title)

    @strawberry.field(description="The price.")
    def price(self) -> PosterText:
        return PosterText.of(self.layout.price)

    @strawberry.field(description="The distributor's avatar (a circle).")
    def avatar(self) -> PosterBox:
        return PosterBox.of(self.layout.avatar)

    @strawberry.field(description="The distributor's nickname.")
    def nickname(self) -> PosterText:
        return PosterText.of(self.layout.nickname)

    @strawberry.field(description="The caption's style.")
    def caption(self) -> PosterText:
        return PosterText.of(self.layout.caption)

    @strawberry.field(description="The caption, e.g. 长按识别二维码.")
    def caption_text(self) -> str:
        return self.layout.caption_text

    @strawberry.field(description="The QR code of the tracked link.")
    def qr(self) -> PosterBox:
        return PosterBox.of(self.layout.qr)


@strawberry.type(description="A share poster template of the platform (managed with marketing.manage).")
class PosterTemplate(Node):
    row: strawberry.Private[object]

    id: strawberry.ID = node_id("PosterTemplate", "row.id", description="The template's id.")

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Raised by every change (posters of an older version are drawn again).")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="Used when a poster names no template.")
    def is_default(self) -> bool:
        return self.row.is_default

    @strawberry.field(description="Inactive templates cannot be drawn.")
    def is_active(self) -> bool:
        return self.row.is_active

    @strawberry.field(description="Its layout.")
    def layout(self) -> PosterLayout:
        return PosterLayout(layout=lay.parse(self.row.layout))


@strawberry.input(description="A box, in px from the top left, inside the poster.")
class PosterBoxInput:
    x: int = strawberry.field(description="Left.")
    y: int = strawberry.field(description="Top.")
    width: int = strawberry.field(description="Width (at least 1).")
    height: int = strawberry.field(description="Height (at least 1).")

    def data(self) -> dict:
        return {"x": self.x, "y": self.y, "w": self.width, "h": self.height}


@strawberry.input(description="Where and how a text is drawn.")
class PosterTextInput:
    x: int = strawberry.field(description="Left.")
    y: int = strawberry.field(description="Top of the first line.")
    width: int = strawberry.field(description="The width it wraps at.")
    size: int = strawberry.field(description="Font size in px, 8 to 200.")
    colour: str = strawberry.field(description="#RRGGBB.")
    lines: int = strawberry.field(default=1, description="At most this many lines, 1 to 5.")
    line_height: int = strawberry.field(default=0, description="Px from line to line; 0: 1.4 × size.")

    def data(self) -> dict:
        return {
            "x": self.x,
            "y": self.y,
            "w": self.width,
            "size": self.size,
            "colour": self.colour,
            "lines": self.lines,
            "line_height": self.line_height,
        }


@strawberry.input(description="A poster template: its name and layout (every box inside width × height).")
class PosterTemplateInput:
    name: str = strawberry.field(description="1 to 64 characters.")
    width: int = strawberry.field(description="Poster width in px, 100 to 2000.")
    height: int = strawberry.field(description="Poster height in px, 100 to 2000.")
    background: str = strawberry.field(description="#RRGGBB.")
    image: PosterBoxInput = strawberry.field(description="The product image.")
    title: PosterTextInput = strawberry.field(description="The product title.")
    price: PosterTextInput = strawberry.field(description="The price.")
    avatar: PosterBoxInput = strawberry.field(description="The distributor's avatar.")
    nickname: PosterTextInput = strawberry.field(description="The distributor's nickname.")
    caption: PosterTextInput = strawberry.field(description="The caption's style.")
    caption_text: str = strawberry.field(default="", description="The caption, at most 32 characters.")
    qr: PosterBoxInput = strawberry.field(description="The QR code.")
    is_default: bool = strawberry.field(default=False, description="Make it the default template.")
    is_active: bool = strawberry.field(default=True, description="Whether posters may use it.")

    def layout(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "background": self.background,
            "image": self.image.data(),
            "title": self.title.data(),
            "price": self.price.data(),
            "avatar": self.avatar.data(),
            "nickname": self.nickname.data(),
            "caption": self.caption.data(),
            "caption_text": self.caption_text,
            "qr": self.qr.data(),
        }


@strawberry.type(description="Outcome of a poster template change.")
class PosterTemplatePayload:
    template: PosterTemplate | None = strawberry.field(default=None, description="The template after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
