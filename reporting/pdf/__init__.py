"""PDF output of the reporting app (reportlab): fonts and colours, charts, briefing and deck."""
