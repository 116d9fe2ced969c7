"""People administration: who works here, in which role, with what rights; every change audited.

Shared by both businesses (hosts and reps are people alike); it imports neither business.
"""
