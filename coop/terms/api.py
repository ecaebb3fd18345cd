from coop.apidoc import signed_in_blueprint

blp = signed_in_blueprint("terms_api", __name__, "六个一 · terms, plans and proposals")
