"""Package-wide defaults, each one documented and overridable by the caller.

Functions take these as keyword defaults; change a value here (``geoplan.settings.X = ...``)
only in a session that wants every call to see it.
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
