"""Working groups (issue 10): the association's *Arbeitskreise* and project groups, which
staff create, rename and close, and which members join and leave.

The registry of groups is one small stream (``streams.STREAM_ID``) whose snapshot is the whole
registry; joining and leaving are domain events on the member's own stream
(``verein.membership.lifecycle``), because the member is their subject and the membership
decider knows whether someone is a member. ``usecases`` checks the group, then asks membership.
"""
