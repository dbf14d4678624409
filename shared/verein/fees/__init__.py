"""Fees: the membership types and their yearly fees, as staff set them, each version in force
from a date (issue 10). Data, not code: ``schedule.FeeSchedule`` says what applies on a day."""
