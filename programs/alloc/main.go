// Command alloc stresses the VM's heap: it allocates numAllocs fresh buffers of allocSize bytes
// and touches one byte per KiB of each, so the runtime really maps and the VM really
// materialises the pages. Inputs: local 0 = numAllocs, local 1 = allocSize (u64 BE each).
//
// The VM disables the garbage collector (spec: mips32.md §8.4), so memory only grows; a large
// enough request ends in the runtime's "out of memory" fatal error, which is expected.
package main

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/faultproof/faultproof/programs/preimage"
)

// touchStride is the distance between touched bytes: less than a 4 KiB page, so every page of a
// buffer is written.
const touchStride = 1024

// touchValue is non-zero so a touched byte differs from fresh (zeroed) memory.
const touchValue = 0xA5

// sink keeps the last buffer reachable, so the compiler cannot treat the allocations as dead.
var sink []byte

func main() {
	oracle, _ := preimage.Open()
	numAllocs := uint64BE(oracle.GetLocal(0), "local 0 (numAllocs)")
	allocSize := uint64BE(oracle.GetLocal(1), "local 1 (allocSize)")
	fmt.Printf("alloc: %d x %d bytes\n", numAllocs, allocSize)
	if allocSize > math.MaxInt {
		panic(fmt.Sprintf("alloc: allocSize %d does not fit an int on this platform", allocSize))
	}

	var total, touched, checksum uint64
	for i := uint64(0); i < numAllocs; i++ {
		buf := make([]byte, allocSize)
		for j := 0; j < len(buf); j += touchStride {
			buf[j] = touchValue
		}
		// Read back what was written: the sum proves the writes reached memory.
		for j := 0; j < len(buf); j += touchStride {
			checksum += uint64(buf[j])
			touched++
		}
		total += allocSize
		sink = buf
	}
	if checksum != touched*touchValue {
		panic(fmt.Sprintf("alloc: checksum %d, want %d", checksum, touched*touchValue))
	}
	fmt.Printf("alloc: done, %d bytes\n", total)
}

func uint64BE(data []byte, what string) uint64 {
	if len(data) != 8 {
		panic(fmt.Sprintf("alloc: %s has %d bytes, want 8", what, len(data)))
	}
	return binary.BigEndian.Uint64(data)
}
