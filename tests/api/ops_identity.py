"""Permission-matrix rows for real-name verification (RISK-3): the signed-in user's own."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "myIdentity"): "{ myIdentity { realName idNumber } }",
    # an invalid number: refused as data, changes nothing
    (
        "Mutation",
        "submitIdentity",
    ): 'mutation { submitIdentity(realName: "张三", idNumber: "123") { errors { code } } }',
}
