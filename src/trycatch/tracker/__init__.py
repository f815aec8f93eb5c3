"""Engineering issues (bugs, feature requests), their links to tickets, and demand.

Public names are re-exported here; ``models`` holds the tables, ``issues`` the services.
Connectors to Linear and GitHub will sit behind one protocol next to them.
"""

from trycatch.tracker.issues import (
    IssueDemand,
    IssueError,
    IssueNotFound,
    create_issue,
    get_issue,
    issue_demand,
    link_ticket,
    open_issues,
    set_issue_status,
)
from trycatch.tracker.models import (
    EngineeringIssue,
    IssueKind,
    IssueLink,
    IssueStatus,
    TrackerKind,
)

__all__ = [
    "EngineeringIssue",
    "IssueDemand",
    "IssueError",
    "IssueKind",
    "IssueLink",
    "IssueNotFound",
    "IssueStatus",
    "TrackerKind",
    "create_issue",
    "get_issue",
    "issue_demand",
    "link_ticket",
    "open_issues",
    "set_issue_status",
]
