// Command transition checks one block transition of a toy rollup, reading the dispute game's boot
// info, so that every step of its run can be proven on chain (a faultproof test guest, not part of
// mips32.md; the Python side is faultproof.trace.transition).
//
// The toy rollup: the L2 state after block n is a u64 s_n, and s_{n+1} = s_n·a + b mod 2^64 with the
// a = 3 and b = 4 of claim's fixture (mips32.md §11.2). The output root of block n is
//
//	O(n) = keccak256(BE8(n) ‖ BE8(s_n))
//
// Like a real output root it commits to its block, so the program knows which block the agreed
// root is and can judge a disputed block that is not the next one (the game clamps every output
// past its l2BlockNumber to that block, so a transition can also be n → n).
//
// Run, with the local keys addLocalData loads (dispute-game.md §7.5):
//
//  1. local 2: the agreed (starting) output root; hint `fetch-state <hex>` and read its keccak
//     preimage, BE8(n) ‖ BE8(s_n), checked against the root;
//  2. hint `fetch-diff <hex(diffHash)>` and read a and b as claim does: the keccak preimage of
//     diffHash (compiled in) is H(BE8(a)) ‖ H(BE8(b)), whose preimages are BE8(a) and BE8(b);
//  3. local 3: the disputed output root X; local 4: the disputed block d (u64 BE), printed;
//  4. exit 1 if d < n; else apply the block function d − n times and exit 0 iff O(d) == X, else 1.
//
// The disputed root is only compared, never looked up: a false root has no preimage.
package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/faultproof/faultproof/programs/preimage"
)

// diffHash = H(H(BE8(3)) ‖ H(BE8(4))), claim's local 1 (mips32.md §11.2).
const diffHashHex = "24decc5be5a9ccc776fa2738bc15b7abd3c33cc7a5bca6fe62202f43b0bd1769"

func main() {
	oracle, hinter := preimage.Open()

	agreedRoot := hash32(oracle.GetLocal(preimage.AgreedOutputRootLocalIndex), "local 2 (agreed output root)")
	hinter.Hint("fetch-state " + hex.EncodeToString(agreedRoot[:]))
	agreed := oracle.GetKeccak256(agreedRoot)
	if len(agreed) != 16 {
		panic(fmt.Sprintf("transition: preimage of the agreed root has %d bytes, want 16", len(agreed)))
	}
	block := binary.BigEndian.Uint64(agreed[:8])
	s := binary.BigEndian.Uint64(agreed[8:])

	diffHash := hash32(mustDecodeHex(diffHashHex), "diffHash")
	hinter.Hint("fetch-diff " + diffHashHex)
	diff := oracle.GetKeccak256(diffHash)
	if len(diff) != 64 {
		panic(fmt.Sprintf("transition: preimage of diffHash has %d bytes, want 64", len(diff)))
	}
	a := uint64BE(oracle.GetKeccak256(hash32(diff[:32], "diff[0:32]")), "preimage of hA")
	b := uint64BE(oracle.GetKeccak256(hash32(diff[32:], "diff[32:64]")), "preimage of hB")

	disputedRoot := hash32(oracle.GetLocal(preimage.DisputedOutputRootLocalIndex), "local 3 (disputed output root)")
	disputedBlock := uint64BE(oracle.GetLocal(preimage.DisputedL2BlockLocalIndex), "local 4 (disputed block)")
	fmt.Printf("block %d -> %d\n", block, disputedBlock)
	if disputedBlock < block {
		fmt.Printf("claim %x is bad! Block %d precedes the agreed block %d\n", disputedRoot, disputedBlock, block)
		os.Exit(1)
	}

	for ; block < disputedBlock; block++ {
		fmt.Printf("computing %d * %d + %d\n", s, a, b)
		s = s*a + b
	}
	root := outputRoot(block, s)
	if root != disputedRoot {
		fmt.Printf("claim %x is bad! Correct output root is %x\n", disputedRoot, root)
		os.Exit(1)
	}
	fmt.Printf("claim %x is good!\n", root)
}

// outputRoot is O(n) = keccak256(BE8(n) ‖ BE8(s_n)).
func outputRoot(block uint64, s uint64) [32]byte {
	var preimageBytes [16]byte
	binary.BigEndian.PutUint64(preimageBytes[:8], block)
	binary.BigEndian.PutUint64(preimageBytes[8:], s)
	return preimage.Keccak256(preimageBytes[:])
}

func mustDecodeHex(text string) []byte {
	data, err := hex.DecodeString(text)
	if err != nil {
		panic(fmt.Sprintf("transition: %q is not hex: %v", text, err))
	}
	return data
}

func hash32(data []byte, what string) [32]byte {
	if len(data) != 32 {
		panic(fmt.Sprintf("transition: %s has %d bytes, want 32", what, len(data)))
	}
	return [32]byte(data)
}

func uint64BE(data []byte, what string) uint64 {
	if len(data) != 8 {
		panic(fmt.Sprintf("transition: %s has %d bytes, want 8", what, len(data)))
	}
	return binary.BigEndian.Uint64(data)
}
