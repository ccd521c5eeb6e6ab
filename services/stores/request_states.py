"""The states of a cashier's payment request (services.stores.payment_requests): stored OPEN,
PAID or CANCELLED; read as PAYING (a gateway payment holds it) or EXPIRED (open past its time)."""

OPEN, PAYING, PAID, CANCELLED, EXPIRED = "OPEN", "PAYING", "PAID", "CANCELLED", "EXPIRED"
STATUSES = (OPEN, PAYING, PAID, CANCELLED, EXPIRED)
