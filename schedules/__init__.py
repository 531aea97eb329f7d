"""Schedules: WBS, dependencies, calendars and the critical-path engine."""
