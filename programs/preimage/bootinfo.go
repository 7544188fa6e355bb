package preimage

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Local key indices of the fault proof program (spec: preimage-oracle.md §2.3). Onchain, the
// dispute game can load only 1–5; 6 and 7 exist offchain only.
//
// Test programs may use other indices offchain: claim reads its inputs from locals 0–2 and alloc
// from locals 0–1, and neither uses BootInfo.
const (
	L1HeadLocalIndex             uint64 = 1 // L1 head block hash, 32 bytes
	AgreedOutputRootLocalIndex   uint64 = 2 // starting (agreed) L2 output root, 32 bytes
	DisputedOutputRootLocalIndex uint64 = 3 // disputed L2 output root (the claim), 32 bytes
	DisputedL2BlockLocalIndex    uint64 = 4 // disputed L2 block number, u64 BE
	L2ChainIDLocalIndex          uint64 = 5 // L2 chain ID, u64 BE
	L2ChainConfigLocalIndex      uint64 = 6 // L2 chain config (JSON), custom chains only
	RollupConfigLocalIndex       uint64 = 7 // rollup config (JSON), custom chains only
)

// CustomChainID is the L2 chain ID that marks a chain the program does not know: its chain and
// rollup configurations are then local inputs 6 and 7 (spec: preimage-oracle.md §2.3).
const CustomChainID uint64 = math.MaxUint64

// BootInfo is the dispute-specific input of a fault proof program.
type BootInfo struct {
	L1Head                [32]byte // hash of the L1 block whose chain holds all the L1 data
	AgreedOutputRoot      [32]byte // the L2 output root both sides agree on
	DisputedOutputRoot    [32]byte // the claimed L2 output root the program checks
	DisputedL2BlockNumber uint64   // the L2 block of DisputedOutputRoot
	L2ChainID             uint64   // CustomChainID if the configurations below are set
	L2ChainConfig         []byte   // JSON, only if L2ChainID == CustomChainID
	RollupConfig          []byte   // JSON, only if L2ChainID == CustomChainID
}

// ReadBootInfo reads the boot info from local inputs 1–5, in that order, and for a custom chain
// also from 6 and 7. It panics if an input has the wrong size.
func ReadBootInfo(oracle *Oracle) BootInfo {
	info := BootInfo{
		L1Head:                localHash(oracle, L1HeadLocalIndex),
		AgreedOutputRoot:      localHash(oracle, AgreedOutputRootLocalIndex),
		DisputedOutputRoot:    localHash(oracle, DisputedOutputRootLocalIndex),
		DisputedL2BlockNumber: localUint64(oracle, DisputedL2BlockLocalIndex),
		L2ChainID:             localUint64(oracle, L2ChainIDLocalIndex),
	}
	if info.L2ChainID == CustomChainID {
		info.L2ChainConfig = oracle.GetLocal(L2ChainConfigLocalIndex)
		info.RollupConfig = oracle.GetLocal(RollupConfigLocalIndex)
	}
	return info
}

func localHash(oracle *Oracle, index uint64) [32]byte {
	data := oracle.GetLocal(index)
	if len(data) != 32 {
		panic(fmt.Errorf("preimage: local %d has %d bytes, want 32", index, len(data)))
	}
	return [32]byte(data)
}

func localUint64(oracle *Oracle, index uint64) uint64 {
	data := oracle.GetLocal(index)
	if len(data) != 8 {
		panic(fmt.Errorf("preimage: local %d has %d bytes, want 8", index, len(data)))
	}
	return binary.BigEndian.Uint64(data)
}
