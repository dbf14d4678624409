"""Membership: from application to (later) approval, fees, notice and exit."""
