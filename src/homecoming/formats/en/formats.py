"""How the center writes dates and times in English: one format for each kind of moment, used
by every page, PDF, alert and message (templates name them, `|date:"DATETIME_FORMAT"`; Python
goes through homecoming.core.dates). Twenty-four hour times, as a service member and a nurse's
shift both read them; the month as a word, so 3/4 is never March or April. Formats not set here
(input formats, separators) are Django's own for English."""

DATE_FORMAT = "M j, Y"  # Dec 6, 2026
DATETIME_FORMAT = "M j, Y H:i"  # Dec 6, 2026 14:05
TIME_FORMAT = "H:i"  # 14:05
MONTH_DAY_FORMAT = "M j"  # Dec 6: a day in a list of this week or this month
YEAR_MONTH_FORMAT = "M Y"  # Dec 2026
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, H:i"  # Dec 6, 14:05: a moment in a list of this week
