from models.notifications import Notification
from services.accounts import notifications
from tests.helpers import gid, make_user, token_for

INBOX = "query($after: String, $u: Boolean) { myNotifications(first: 2, after: $after, unreadOnly: $u) { nodes { id title read } pageInfo { hasNextPage endCursor } } }"


async def test_inbox_pages_newest_first_and_marks_read(api):
    user, other = await make_user(), await make_user()
    for i in range(3):
        await notifications.notify(user.id, kind="ADMIN_MESSAGE", title=f"n{i}")
    theirs = await notifications.notify(other.id, kind="ADMIN_MESSAGE", title="not yours")
    token = await token_for(user)
    page1 = (await api(INBOX, token=token))["myNotifications"]
    assert [n["title"] for n in page1["nodes"]] == ["n2", "n1"] and page1["pageInfo"]["hasNextPage"]
    page2 = (await api(INBOX, {"after": page1["pageInfo"]["endCursor"]}, token=token))["myNotifications"]
    assert [n["title"] for n in page2["nodes"]] == ["n0"] and not page2["pageInfo"]["hasNextPage"]
    ids = [n["id"] for n in page1["nodes"]] + [gid(theirs)]
    marked = await api(
        "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { marked } }", {"ids": ids}, token=token
    )
    assert marked["markNotificationsRead"]["marked"] == 2
    assert (await Notification.get(id=theirs.id)).read_at is None
    unread = (await api(INBOX, {"u": True}, token=token))["myNotifications"]["nodes"]
    assert [n["title"] for n in unread] == ["n0"]


async def test_send_notification_validates(api):
    admin = await make_user(roles=("admin",))
    token = await token_for(admin)
    data = await api(
        'mutation { sendNotification(userId: "VXNlcjo5OTk5OTk=", title: "hi") { errors { code field } } }', token=token
    )
    assert data["sendNotification"]["errors"] == [{"code": "NOT_FOUND", "field": ["userId"]}]
    data = await api(
        f'mutation {{ sendNotification(userId: "{gid(admin)}", title: "  ") {{ errors {{ code field }} }} }}',
        token=token,
    )
    assert data["sendNotification"]["errors"] == [{"code": "INVALID_INPUT", "field": ["title"]}]
    assert await Notification.all().count() == 0
