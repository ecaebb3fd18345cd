"""智能匹配: suggesting units, resources and volunteers for projects and needs."""
