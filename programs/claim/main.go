// Command claim checks a claimed state transition s' = s·a + b (mod 2^64) with every input
// fetched from the preimage oracle (spec: mips32.md §11.2). It exercises local keys, hints and
// keccak preimages, and exits 0 if the claim is right and 1 if it is wrong.
//
// Inputs: local 0 = preHash, local 1 = diffHash, local 2 = the claim (u64 BE). The keccak
// preimage of preHash is s (u64 BE); the keccak preimage of diffHash is hA ‖ hB, whose keccak
// preimages are a and b (u64 BE each). These are test indices, not the fault proof program's
// boot info (preimage.BootInfo). Every keccak preimage is checked against its hash, so a host
// that sends a wrong value makes the program panic instead of judging the claim on it.
package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/faultproof/faultproof/programs/preimage"
)

func main() {
	// Lets a test see that the program started even if the oracle then fails.
	_, _ = os.Stderr.Write([]byte("started!"))
	oracle, hinter := preimage.Open()

	preHash := hash32(oracle.GetLocal(0), "local 0 (preHash)")
	diffHash := hash32(oracle.GetLocal(1), "local 1 (diffHash)")
	claim := uint64BE(oracle.GetLocal(2), "local 2 (claim)")

	hinter.Hint("fetch-state " + hex.EncodeToString(preHash[:]))
	s := uint64BE(oracle.GetKeccak256(preHash), "preimage of preHash")

	// One hint makes the host serve all three preimages behind diffHash.
	hinter.Hint("fetch-diff " + hex.EncodeToString(diffHash[:]))
	diff := oracle.GetKeccak256(diffHash)
	if len(diff) != 64 {
		panic(fmt.Sprintf("claim: preimage of diffHash has %d bytes, want 64", len(diff)))
	}
	hashA := hash32(diff[:32], "diff[0:32]")
	hashB := hash32(diff[32:], "diff[32:64]")
	a := uint64BE(oracle.GetKeccak256(hashA), "preimage of hA")
	b := uint64BE(oracle.GetKeccak256(hashB), "preimage of hB")

	fmt.Printf("computing %d * %d + %d\n", s, a, b)
	result := s*a + b
	if result != claim {
		// Wording and argument order as upstream's example program.
		fmt.Printf("claim %d is bad! Correct result is %d\n", result, claim)
		os.Exit(1)
	}
	fmt.Printf("claim %d is good!\n", result)
}

func hash32(data []byte, what string) [32]byte {
	if len(data) != 32 {
		panic(fmt.Sprintf("claim: %s has %d bytes, want 32", what, len(data)))
	}
	return [32]byte(data)
}

func uint64BE(data []byte, what string) uint64 {
	if len(data) != 8 {
		panic(fmt.Sprintf("claim: %s has %d bytes, want 8", what, len(data)))
	}
	return binary.BigEndian.Uint64(data)
}
