"""Trace providers: the honest claim at any position, and the witness for any step (dispute-game.md §14).

``provider`` defines the interface; ``outputs`` answers the top half from any claim-per-block source
of output roots; ``alphabet`` is the toy VM's bottom half; ``vm`` runs a program in a fault proof
VM with snapshots; ``split`` joins a top half with a bottom half per execution subgame;
``transition`` is a whole VM game's trace over a toy rollup, the `transition` guest's.
"""
