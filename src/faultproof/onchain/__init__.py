"""The fault proof contracts at work on a chain: loading preimage parts, deploying, verifying steps.

``faultproof.chain`` moves bytes to and from a chain; this package knows what the bytes mean: which
loader of the ``PreimageOracle`` puts the part a step reads on chain (``oracle``), which contracts
a deployment consists of and where it is recorded (``deployment``), and how a step proof is checked
against its VM's onchain verifier (``verify``).
"""
