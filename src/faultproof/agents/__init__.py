"""Agents that play the dispute game on a chain (spec: dispute-game.md §14–§16).

==============  =============================================================================
``planner``     the honest response algorithm of §15.3 over any game view (model or snapshot)
``snapshot``    ``GameSnapshot``: one game's views at one block; ``GameReader`` reads them
``traces``      the honest trace of each game type (alphabet built in; VM kinds plug in)
``challenger``  ``HonestChallenger`` (§15): selection, moves, steps, resolution, credit
``proposer``    ``Proposer`` (§16)
``adversaries`` the dishonest players of §15.7, and wrong views of the truth
``runner``      ``Runner``: agents on one chain, time moved to each next wakeup, until all is paid
``store``       ``AgentStore``: what an agent remembers across restarts (SQLite, write-ahead log)
``events``      ``AgentEvent``: what agents report to an observer as they play
``retry``       exponential backoff while a chain or contract cannot be reached
``credit``      two-phase ``claimCredit`` for a set of recipients
``base``        ``Agent`` and ``Player``, the shape every agent has
==============  =============================================================================

A demo, in short::

    system = deploy_game_system(chain, [GameSetup(params, "alphabet")], ...)
    proposer = Proposer(chain, chain.accounts[1], system.factory.address, AlphabetOutputs(),
                        lambda: head, game_type=GameType.ALPHABET, max_proposals=1)
    challenger = HonestChallenger(chain, chain.accounts[2], factory=system.factory.address,
                                  config=ChallengerConfig(collect_for=(proposer.address,)),
                                  on_event=print_event)
    Runner(chain, [proposer, challenger], factory=system.factory.address).run()
"""

from faultproof.agents.adversaries import (
    ClockStaller,
    Duplicator,
    Freeloader,
    LateMover,
    Liar,
    LyingOutputs,
    RandomMover,
    ShiftedOutputs,
    WrongStance,
    lying_traces,
)
from faultproof.agents.base import Agent, Player
from faultproof.agents.challenger import ChallengerConfig, HonestChallenger
from faultproof.agents.events import AgentEvent, EventKind, Observer
from faultproof.agents.planner import plan
from faultproof.agents.proposer import Proposer
from faultproof.agents.retry import Backoff
from faultproof.agents.runner import Runner, RunResult
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.agents.store import AgentStore
from faultproof.agents.traces import GameTraces, alphabet_traces, default_traces

__all__ = [
    "Agent",
    "AgentEvent",
    "AgentStore",
    "Backoff",
    "ChallengerConfig",
    "ClockStaller",
    "Duplicator",
    "EventKind",
    "Freeloader",
    "GameReader",
    "GameSnapshot",
    "GameTraces",
    "HonestChallenger",
    "LateMover",
    "Liar",
    "LyingOutputs",
    "Observer",
    "Player",
    "Proposer",
    "RandomMover",
    "RunResult",
    "Runner",
    "ShiftedOutputs",
    "WrongStance",
    "alphabet_traces",
    "default_traces",
    "lying_traces",
    "plan",
]
