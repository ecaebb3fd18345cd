"""搜索: one box for staff over their communities' needs, projects, activities, units and people."""
