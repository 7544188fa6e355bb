# pragma version ~=0.4.3
"""
@title SystemConfig
@notice The guardian and the pause switch the AnchorStateRegistry and DelayedWETH read
        (spec: dispute-game.md §10.5, §13; upstream: SuperchainConfig's `guardian()` and
        `paused()`). Pausing stops WETH withdrawals and game closing, and makes every game
        improper while it lasts (§13); only the guardian switches it.
"""

event Paused:
    guardian: indexed(address)


event Unpaused:
    guardian: indexed(address)


guardian: public(address)
paused: public(bool)


@deploy
def __init__(guardian: address):
    self.guardian = guardian


@external
def pause():
    assert msg.sender == self.guardian, "NotGuardian"
    self.paused = True
    log Paused(guardian=msg.sender)


@external
def unpause():
    assert msg.sender == self.guardian, "NotGuardian"
    self.paused = False
    log Unpaused(guardian=msg.sender)
