"""Several engine workers share the games, through Redis (docs/scaling.md).

What runs in the worker: `lease` (this worker's lease and identity), `inbox_reader` (its inbox
stream into the engine), `caretaker` (claims, releases, and adopting the games of dead workers).
What both sides read: `keys` (the names in Redis), `scripts` (the atomic steps), `directory`
(the live workers and their figures).
"""
