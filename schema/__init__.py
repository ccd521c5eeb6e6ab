"""The GraphQL face of the product: types, inputs, errors, permissions, context, schema."""
