"""The joint local plan sales and marketing share: micro-markets, their targets, who to call.

Both businesses build their `Market` rows (cargo/markets.py, casino/markets.py); this package
holds what they share: the row itself, target storage with its history, and the directory.
"""
