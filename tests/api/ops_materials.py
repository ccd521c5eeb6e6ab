"""GraphQL documents for the material library (MKT-5) and their permission-matrix rows: every
field needs sign-in; the library and my statistics are for distributors (NOT_A_DISTRIBUTOR
outside AUTO), management and statistics across distributors check marketing.manage or the
merchant's merchant.marketing in the service (FORBIDDEN)."""

PUBLIC: set[str] = set()

OPERATIONS = {
    ("Query", "materials"): "{ materials { nodes { id } } }",
    # a merchant id that is none: answered before the service's permission check
    ("Query", "managedMaterials"): '{ managedMaterials(merchantId: "999999") { nodes { id } } }',
    ("Query", "myMaterialStats"): '{ myMaterialStats(from: "2020-01-01", to: "2020-01-01") { clicks } }',
    (
        "Query",
        "materialStats",
    ): '{ materialStats(from: "2020-01-01", to: "2020-01-01", merchantId: "999999") { clicks } }',
    (
        "Mutation",
        "createMaterial",
    ): 'mutation { createMaterial(input: {kind: TEXT, title: "x", body: "y"}) { errors { code } } }',
    (
        "Mutation",
        "updateMaterial",
    ): 'mutation { updateMaterial(id: "999999", input: {kind: TEXT, title: "x", body: "y"}) { errors { code } } }',
    ("Mutation", "hideMaterial"): 'mutation { hideMaterial(id: "999999") { errors { code } } }',
    ("Mutation", "publishMaterial"): 'mutation { publishMaterial(id: "999999") { errors { code } } }',
}

FIELDS = """id kind title body imageUrls videoUrl merchantId productId categoryId activityKind activityId status
  sortOrder createdAt"""
CREATE = (
    "mutation($i: MaterialInput!) { createMaterial(input: $i) { material { "
    + FIELDS
    + " } errors { code field message } } }"
)
UPDATE = (
    "mutation($id: ID!, $i: MaterialInput!) { updateMaterial(id: $id, input: $i) { material { "
    + FIELDS
    + " } errors { code field message } } }"
)
HIDE = "mutation($id: ID!) { hideMaterial(id: $id) { material { id status } errors { code field } } }"
PUBLISH = "mutation($id: ID!) { publishMaterial(id: $id) { material { id status } errors { code field } } }"
LIBRARY = """query($f: MaterialFilter, $first: Int, $after: String) { materials(filter: $f, first: $first, after: $after) {
  nodes { id title kind copyText } pageInfo { hasNextPage endCursor } } }"""
SHARE = """query($f: MaterialFilter) { materials(filter: $f) { nodes { id title copyText
  shareLink { code url signupUrl qrPngUrl } } } }"""
MANAGED = """query($m: ID, $s: MaterialStatus) { managedMaterials(merchantId: $m, status: $s) { nodes { id title status } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Material { title status } } }"
MY_STATS = """query($f: Date!, $t: Date!) { myMaterialStats(from: $f, to: $t) {
  materialId material { title } clicks signUps buyers orders orderGoods { amount } signUpRateBp buyerRateBp } }"""
STATS = """query($f: Date!, $t: Date!, $m: ID) { materialStats(from: $f, to: $t, merchantId: $m) {
  materialId clicks signUps buyers orders orderGoods { amount } } }"""
