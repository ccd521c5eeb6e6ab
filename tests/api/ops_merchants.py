"""Permission-matrix rows for the merchant and store fields (MER-1..3).

Scoped checks (staff of merchant A on merchant B, staff without the permission ...) are in
tests/api/test_merchants.py and tests/api/test_stores.py: the matrix only proves the field gate.
"""

STORE = '{name: "s", provinceCode: "330000", cityCode: "330100", countyCode: "330106", address: "a", latitude: 30.0, longitude: 120.0}'

PUBLIC = {"merchant", "nearestStores"}

OPERATIONS = {
    ("Query", "managedMerchant"): '{ managedMerchant(id: "0") { id } }',
    ("Query", "myMerchants"): "{ myMerchants { role } }",
    ("Query", "merchantApplications"): "{ merchantApplications { nodes { id } } }",
    (
        "Mutation",
        "applyForMerchant",
    ): 'mutation { applyForMerchant(input: {name: "", legalName: "", businessLicenseNo: "", contactName: "", contactPhone: ""}) { errors { code } } }',
    ("Mutation", "approveMerchant"): 'mutation { approveMerchant(id: "1") { errors { code } } }',
    ("Mutation", "rejectMerchant"): 'mutation { rejectMerchant(id: "1", reason: "r") { errors { code } } }',
    ("Mutation", "suspendMerchant"): 'mutation { suspendMerchant(id: "1", reason: "r") { errors { code } } }',
    ("Mutation", "reinstateMerchant"): 'mutation { reinstateMerchant(id: "1") { errors { code } } }',
    (
        "Mutation",
        "updateMerchantSettings",
    ): 'mutation { updateMerchantSettings(merchantId: "1", input: {description: "d"}) { errors { code } } }',
    (
        "Mutation",
        "setMerchantCommissionRate",
    ): 'mutation { setMerchantCommissionRate(merchantId: "1", rateBp: 500) { errors { code } } }',
    (
        "Mutation",
        "setMerchantCategoryRate",
    ): 'mutation { setMerchantCategoryRate(merchantId: "1", categoryId: "1", rateBp: 500) { errors { code } } }',
    (
        "Mutation",
        "addMerchantStaff",
    ): 'mutation { addMerchantStaff(merchantId: "1", userId: "1", permissions: []) { errors { code } } }',
    (
        "Mutation",
        "updateMerchantStaff",
    ): 'mutation { updateMerchantStaff(merchantId: "1", userId: "1", permissions: []) { errors { code } } }',
    (
        "Mutation",
        "removeMerchantStaff",
    ): 'mutation { removeMerchantStaff(merchantId: "1", userId: "1") { errors { code } } }',
    ("Mutation", "createStore"): f'mutation {{ createStore(merchantId: "1", input: {STORE}) {{ errors {{ code }} }} }}',
    ("Mutation", "updateStore"): f'mutation {{ updateStore(id: "1", input: {STORE}) {{ errors {{ code }} }} }}',
    ("Mutation", "deactivateStore"): 'mutation { deactivateStore(id: "1") { errors { code } } }',
    ("Mutation", "activateStore"): 'mutation { activateStore(id: "1") { errors { code } } }',
    ("Mutation", "addStoreStaff"): 'mutation { addStoreStaff(storeId: "1", userId: "1") { errors { code } } }',
    ("Mutation", "removeStoreStaff"): 'mutation { removeStoreStaff(storeId: "1", userId: "1") { errors { code } } }',
}
