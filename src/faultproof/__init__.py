"""faultproof: an open fault proof framework.

Fault proof VMs (MIPS32 compatible with Cannon), a preimage oracle, and the tools that turn a
program's execution into a claim that a contract can check one instruction at a time.
"""

__version__ = "0.1.0"
