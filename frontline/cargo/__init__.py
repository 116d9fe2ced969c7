"""The cargo airline's services: capacity, quoting and pricing, deals, accounts, the rep outlook.

Views in `frontline.rep` and `frontline.api` call these; nothing here imports a view or the
casino package.
"""
