"""日历订阅: her sign-ups as an iCalendar feed behind a secret URL, and an .ics per activity."""
