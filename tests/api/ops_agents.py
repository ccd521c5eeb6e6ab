"""Permission-matrix rows for regional agents and the partner settings: appointing,
ending and the settings need agent.manage; my agent regions are the signed-in user's own."""

PUBLIC: set[str] = set()

_TERMS = '{provinceRateBp: -1, cityRateBp: 0, countyRateBp: 0, storeShareBp: 500, pickupReward: "0"}'  # refused: changes nothing

OPERATIONS = {
    ("Query", "partnerSettings"): "{ partnerSettings { provinceRateBp } }",
    ("Query", "regionalAgents"): "{ regionalAgents { nodes { id } } }",
    ("Query", "myAgentRegions"): "{ myAgentRegions { id } }",
    (
        "Mutation",
        "assignRegionalAgent",
    ): 'mutation { assignRegionalAgent(input: {userId: "999999", level: COUNTY, regionCode: "x"}) '
    "{ errors { code } } }",
    ("Mutation", "endRegionalAgent"): 'mutation { endRegionalAgent(id: "999999") { errors { code } } }',
    (
        "Mutation",
        "updatePartnerSettings",
    ): f"mutation {{ updatePartnerSettings(input: {_TERMS}) {{ errors {{ code }} }} }}",
}
