"""Agents that play the dispute game on a chain (spec: dispute-game.md §14–§16).

``planner`` is the honest response algorithm of §15.3 over any game view (the Python model or a
snapshot read from a contract); ``snapshot`` reads a game's views into a ``GameSnapshot``;
``interfaces`` names the contract functions the agents call.
"""
