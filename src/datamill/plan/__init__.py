"""The partition plan: how the input is cut, saved once per job."""

from datamill.plan.auto import AutoChoice
from datamill.plan.ids import PartitionId
from datamill.plan.planner import PartitionSpec, Plan, make_plan

__all__ = ["AutoChoice", "PartitionId", "PartitionSpec", "Plan", "make_plan"]
