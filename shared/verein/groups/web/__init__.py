"""Working groups on the web: the staff API (``staff.py``) and the staff app's pages
(``control.py``), with their texts (``messages.py``) and what both read (``inputs.py``)."""
