from coop.apidoc import signed_in_blueprint

blp = signed_in_blueprint("badges_api", __name__, "月月红 · monthly themes, badges and awards")
