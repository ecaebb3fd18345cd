from coop.apidoc import signed_in_blueprint

blp = signed_in_blueprint("rewards_api", __name__, "积分超市 · rewards and redemptions")
