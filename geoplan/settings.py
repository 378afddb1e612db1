"""Package-wide defaults, each one documented and overridable by the caller.

Functions read these when they run (``settings.X``, never a copy made at import), so a
session that changes a value here (``geoplan.settings.X = ...``) is heard by every later
call; pass the matching parameter instead to change one call only.
"""

from __future__ import annotations

import datetime as dt
import logging

#: The day 泉台管〔2021〕57号 was issued; "on track" is measured from here.
PLAN_START: dt.date = dt.date(2021, 5, 24)

#: Geographic CRS of stored and bundled data: WGS84 lon/lat. CGCS2000 (EPSG:4490) differs
#: from it by well under a metre in this zone, far below the precision of planning data.
STORAGE_CRS: str = "EPSG:4326"

#: Environment variables geoplan reads.
ENV_DB_URL = "GEOPLAN_DB_URL"
ENV_TIANDITU_KEY = "TIANDITU_KEY"
ENV_REQUIRE_SERVICES = "GEOPLAN_REQUIRE_SERVICES"

logger = logging.getLogger("geoplan")
logger.addHandler(logging.NullHandler())
