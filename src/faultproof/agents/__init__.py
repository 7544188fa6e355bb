"""Agents that play the dispute game on a chain (spec: dispute-game.md §14–§16).

``planner`` is the honest response algorithm of §15.3 over any game view (the Python model or a
snapshot read from a contract).
"""
