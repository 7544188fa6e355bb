// Command compute is a compute-heavy benchmark guest with no oracle traffic.
//
// Algorithm (a test recomputes it with Python's hashlib):
//
//	buf := bufferSize bytes with buf[i] = i mod 251
//	repeat iterations times:
//	    digest := SHA-256(buf)      // all bufferSize bytes
//	    buf[0:32] = digest          // the rest of buf is never changed
//	print lowercase hex(digest) followed by "\n", exit 0
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
)

const (
	iterations = 64
	bufferSize = 4096
)

func main() {
	buf := make([]byte, bufferSize)
	for i := range buf {
		buf[i] = byte(i % 251)
	}
	var digest [sha256.Size]byte
	for range iterations {
		digest = sha256.Sum256(buf)
		copy(buf, digest[:])
	}
	_, _ = os.Stdout.WriteString(hex.EncodeToString(digest[:]) + "\n")
}
