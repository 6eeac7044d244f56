"""Layer 3, instance files (the `linrbp simulate` contract): parsing, closed-form predictions
and integration of one instance to convergence.
"""
