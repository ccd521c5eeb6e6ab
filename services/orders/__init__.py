"""From cart to after-sales (ORD-1..ORD-8): cart (`cart`), price arithmetic (`pricing`),
checkout (`checkout`), payment and refunds with the gateways (`payments`, `gateways`,
`sandbox_gateway`), the order state machine (`states`), shipping, pickup and completion
(`fulfilment`), after-sales (`after_sales`, `after_sale_states`), order messages
(`messages`), and the events other features react to (`hooks`).
"""
