"""Permission-matrix rows for home content."""

_BANNER = '{placement: "HOME_TOP", title: "t", imageUrl: "https://img.example.com/b.png", targetType: "URL", targetValue: "https://example.com"}'

PUBLIC = {"banners", "recommendedProducts", "recommendedMerchants"}

OPERATIONS = {
    ("Query", "adminBanners"): "{ adminBanners { id } }",
    ("Mutation", "createBanner"): f"mutation {{ createBanner(input: {_BANNER}) {{ errors {{ code }} }} }}",
    ("Mutation", "updateBanner"): f'mutation {{ updateBanner(id: "1", input: {_BANNER}) {{ errors {{ code }} }} }}',
    ("Mutation", "deleteBanner"): 'mutation { deleteBanner(id: "1") { errors { code } } }',
    (
        "Mutation",
        "setRecommendations",
    ): 'mutation { setRecommendations(placement: "HOME", kind: "PRODUCT", targetIds: []) { errors { code } } }',
}
