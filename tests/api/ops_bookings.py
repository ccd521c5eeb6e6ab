"""Permission-matrix rows for bookable service items (STO-4): a store's items and their slots
are public; booking, my bookings and the staff side need a signed-in user, and store.bookings
(or merchant.settings for the items) is checked by the service."""

PUBLIC: set[str] = {"storeServiceItems", "serviceItemSlots"}

OPERATIONS = {
    ("Query", "myBookings"): "{ myBookings { nodes { id } } }",
    ("Query", "myBooking"): '{ myBooking(id: "999999") { id } }',
    ("Query", "storeBookings"): '{ storeBookings(storeId: "999999", date: "2026-01-01") { id } }',
    (
        "Mutation",
        "createServiceItem",
    ): 'mutation { createServiceItem(storeId: "1", input: {name: "x", price: "1.00", durationMinutes: 30, capacity: 1}) { errors { code } } }',
    (
        "Mutation",
        "updateServiceItem",
    ): 'mutation { updateServiceItem(id: "1", input: {name: "x", price: "1.00", durationMinutes: 30, capacity: 1}) { errors { code } } }',
    (
        "Mutation",
        "bookService",
    ): 'mutation { bookService(serviceItemId: "1", startsAt: "2026-01-01T01:00:00Z", idempotencyKey: "k") { errors { code } } }',
    ("Mutation", "cancelBooking"): 'mutation { cancelBooking(id: "1") { errors { code } } }',
    ("Mutation", "checkInBooking"): 'mutation { checkInBooking(id: "1") { errors { code } } }',
    ("Mutation", "markBookingNoShow"): 'mutation { markBookingNoShow(id: "1") { errors { code } } }',
}
