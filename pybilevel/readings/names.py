"""The names of the two readings of a bilevel problem whose follower has several optima."""

__all__ = ["OPTIMISTIC", "PESSIMISTIC"]

#: the follower optimum best for the leader / worst for the leader
OPTIMISTIC, PESSIMISTIC = "optimistic", "pessimistic"
