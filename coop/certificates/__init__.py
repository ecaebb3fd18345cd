"""志愿服务记录证明: numbered, logged certificates of a volunteer's verified hours."""
