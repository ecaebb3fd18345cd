"""项目清单公示: the community's service project list as an A4 notice for the notice board."""

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import User
from coop.documents.pdf import render_pdf
from coop.extensions import db
from coop.projects import queries as project_queries
from coop.projects.models import Project, ProjectStatus
from coop.timeutil import local_today

# What a notice shows: projects the community has made public and not called off.
SHOWN = (
    ProjectStatus.PUBLISHED,
    ProjectStatus.CLAIMED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.COMPLETED,
    ProjectStatus.EVALUATED,
)


def project_notice(actor: User, community_id: int) -> bytes:
    """The project list's 公示 as an A4 PDF (the community's staff print and post it).

    :raise NotFound: not a community the actor sees. :raise Forbidden: not its staff.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    projects = list(
        db.session.scalars(
            project_queries.projects_select(actor, community_id=community.id).where(
                Project.status.in_(SHOWN)
            )
        )
    )
    return render_pdf(
        "printables/project_notice.html",
        community=community,
        projects=projects,
        today=local_today(),
    )
