from coop.apidoc import signed_in_blueprint

blp = signed_in_blueprint("matching_api", __name__, "智能匹配 · suggestions for projects and needs")
