"""Planning a request before anything is spent (plan.py), checking its local media early (media.py), and settling
it with the user's answers (answers.py). The service owns it; nothing here imports MCP."""

from avatar_mcp.planning.answers import Settled, StillMissing, confirm, defaults, settle
from avatar_mcp.planning.plan import Plan, Planner, check_job_id, cost_sentence

__all__ = ["Plan", "Planner", "Settled", "StillMissing", "check_job_id", "confirm", "cost_sentence", "defaults",
           "settle"]
