"""Permission-matrix rows for the catalog (categories, products, SKUs, stock).

Product and stock fields need a signed-in user; the merchant scope (merchant.products on
that merchant, or merchant.manage) is checked by the services: see
tests/api/test_catalog_api.py::test_product_mutations_scoped_matrix. Ids here name
nothing, so a signed-in customer gets NOT_FOUND, never FORBIDDEN.
"""

_PRODUCT = '{categoryId: "1", title: "t"}'
_SKU = '[{code: "X1", price: "1.00"}]'

PUBLIC = {"categories", "product", "searchProducts"}

OPERATIONS = {
    ("Query", "merchantProducts"): '{ merchantProducts(merchantId: "999999") { nodes { id } } }',
    ("Query", "lowStockSkus"): '{ lowStockSkus(merchantId: "999999") { nodes { id } } }',
    ("Query", "stockMovements"): '{ stockMovements(skuId: "999999") { nodes { id } } }',
    ("Mutation", "createCategory"): 'mutation { createCategory(name: "c") { errors { code } } }',
    ("Mutation", "renameCategory"): 'mutation { renameCategory(id: "999999", name: "c") { errors { code } } }',
    ("Mutation", "moveCategory"): 'mutation { moveCategory(id: "999999") { errors { code } } }',
    ("Mutation", "reorderCategory"): 'mutation { reorderCategory(id: "999999", sortOrder: 1) { errors { code } } }',
    ("Mutation", "deleteCategory"): 'mutation { deleteCategory(id: "999999") { errors { code } } }',
    (
        "Mutation",
        "createProduct",
    ): f'mutation {{ createProduct(merchantId: "999999", input: {_PRODUCT}, skus: {_SKU}) {{ errors {{ code }} }} }}',
    (
        "Mutation",
        "updateProduct",
    ): f'mutation {{ updateProduct(id: "999999", input: {_PRODUCT}) {{ errors {{ code }} }} }}',
    ("Mutation", "setSkus"): f'mutation {{ setSkus(productId: "999999", skus: {_SKU}) {{ errors {{ code }} }} }}',
    ("Mutation", "listProduct"): 'mutation { listProduct(id: "999999") { errors { code } } }',
    ("Mutation", "delistProduct"): 'mutation { delistProduct(id: "999999") { errors { code } } }',
    ("Mutation", "adjustStock"): 'mutation { adjustStock(skuId: "999999", delta: 1) { errors { code } } }',
}
