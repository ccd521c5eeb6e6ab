"""Marketing (MKT-1, MKT-2, MKT-4, MKT-6): what promotions, coupons and coins are
(`offers`), the pure pricing pipeline from list price to what each line pays (`pipeline`),
what a refund gives back (`refunds`), and shipping fees (`shipping`).

It sits below orders: the cart and the checkout price through it; it never imports them.
"""
