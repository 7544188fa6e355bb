"""An honest challenger in a process of its own, for tests that kill it: ``agent_process.py URL FACTORY
STORE``. It plays every game on the factory until each is over and paid out, printing one line per
event, then exits 0."""

from __future__ import annotations

import sys

from faultproof.agents import AgentStore, ChallengerConfig, HonestChallenger
from faultproof.chain import JsonRpcChain, dev_accounts

HONEST_SEAT = 2
PROPOSER_SEAT = 1


def main(url: str, factory: str, store_path: str) -> None:
    chain = JsonRpcChain(url)
    accounts = dev_accounts()
    account = accounts[HONEST_SEAT]
    challenger = HonestChallenger(
        chain,
        account,
        store=AgentStore(store_path, chain.chain_id, str(account.address)),
        factory=factory,
        config=ChallengerConfig(collect_for=(accounts[PROPOSER_SEAT].address,)),
        on_event=lambda event: print(event.describe(), flush=True),
    )
    challenger.run(poll_interval=0.05, until_done=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
