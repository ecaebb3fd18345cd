"""Every model module, imported once so metadata (and Alembic) sees all tables."""

from coop import (
    audit,  # noqa: F401
    idempotency,  # noqa: F401
)
from coop.activities import models as activities_models  # noqa: F401
from coop.alliance import models as alliance_models  # noqa: F401
from coop.auth import models as auth_models  # noqa: F401
from coop.badges import models as badges_models  # noqa: F401
from coop.calendars import models as calendars_models  # noqa: F401
from coop.certificates import models as certificates_models  # noqa: F401
from coop.claims import models as claims_models  # noqa: F401
from coop.escalations import models as escalations_models  # noqa: F401
from coop.hours import models as hours_models  # noqa: F401
from coop.hours import summary as hours_summary  # noqa: F401  (MonthlyHours, kept on flush)
from coop.jobruns import models as jobruns_models  # noqa: F401
from coop.ledger import models as ledger_models  # noqa: F401
from coop.matching import models as matching_models  # noqa: F401
from coop.meetings import models as meetings_models  # noqa: F401
from coop.needs import imports as needs_imports  # noqa: F401  (ImportJob)
from coop.needs import models as needs_models  # noqa: F401
from coop.notices import models as notices_models  # noqa: F401
from coop.people import imports as people_imports  # noqa: F401  (PeopleImportJob)
from coop.people import models as people_models  # noqa: F401
from coop.photos import models as photos_models  # noqa: F401
from coop.printables import models as printables_models  # noqa: F401
from coop.projects import models as projects_models  # noqa: F401
from coop.reminders import models as reminders_models  # noqa: F401
from coop.resources import models as resources_models  # noqa: F401
from coop.rewards import models as rewards_models  # noqa: F401
from coop.setup import models as setup_models  # noqa: F401
from coop.terms import models as terms_models  # noqa: F401
