"""GraphQL documents for share posters (MKT-5) and their permission-matrix rows: a poster needs
sign-in (the service checks the distributor: NOT_A_DISTRIBUTOR); the templates' list needs
marketing.manage; their mutations sign-in (the service checks marketing.manage: FORBIDDEN)."""

_BOX = "{x: 0, y: 0, width: 1, height: 1}"
_TEXT = '{x: 0, y: 0, width: 1, size: 8, colour: "#000000"}'
_INPUT = (
    f'{{name: "x", width: 100, height: 100, background: "#FFFFFF", image: {_BOX}, title: {_TEXT}, '
    f"price: {_TEXT}, avatar: {_BOX}, nickname: {_TEXT}, caption: {_TEXT}, qr: {_BOX}}}"
)

OPERATIONS = {
    ("Query", "sharePoster"): '{ sharePoster(productId: "999999") { url } }',
    ("Query", "posterTemplates"): "{ posterTemplates { id } }",
    (
        "Mutation",
        "createPosterTemplate",
    ): f"mutation {{ createPosterTemplate(input: {_INPUT}) {{ errors {{ code }} }} }}",
    (
        "Mutation",
        "updatePosterTemplate",
    ): f'mutation {{ updatePosterTemplate(id: "999999", input: {_INPUT}) {{ errors {{ code }} }} }}',
}
