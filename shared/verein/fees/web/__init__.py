"""The fee schedule's web parts: the staff API (``staff.py``), the staff app's page
(``control.py``), reading and showing amounts and dates (``values.py``), its texts."""
