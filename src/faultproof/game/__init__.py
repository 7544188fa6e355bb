"""The dispute game's rules in Python, integer-exact with the contract (spec: dispute-game.md).

One concept per module: ``positions`` (the tree and trace indices), ``split`` (what a claim commits
to on either side of the split), ``params`` and ``configs`` (constructor parameters and the tested
shapes), ``clocks``, ``bonds``, ``tree`` (the claim array and its walks), ``local_context`` (an exec
subgame's transition and local data), ``steps``, ``resolution``, ``alphabet`` (the toy VM) and
``model`` (all of them composed into the contract's state machine). Rule violations raise
``errors.GameRuleError`` with the contract's revert reason.
"""
