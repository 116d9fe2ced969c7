"""The shared scoreboard: one set of numbers per rule and version for sales and marketing.

`funnel` (cards issued → seen → acknowledged → acted → outcome, time to act, revenue,
dismissals), `feedback` (why cards are dismissed and a suggested edit to the rule), `uplift`
(holdout experiments: outcome rate with and without the card, with a 95% interval and power),
`experiments` (importing a randomised experiment such as Hillstrom's), `charts` (server-side SVG).
"""
