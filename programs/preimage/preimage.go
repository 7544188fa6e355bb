// Package preimage is the guest side of the preimage oracle (spec: preimage-oracle.md §5).
//
// A fault proof program gets every input through two blocking byte streams: a hint channel,
// which tells the host what the program will ask for next, and a preimage channel, which maps a
// 32-byte key to its value. Inside the VM the streams are emulated on file descriptors 3–6;
// natively they are pipes to a host process. The clients here speak the same wire protocol to
// both, so a program can be debugged natively and then run unchanged in the VM.
//
// Every failure panics: a program cannot continue without its inputs, and the spec makes a
// missing preimage fatal for the whole run (there is no "not found" answer).
package preimage

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
)

// Key types (spec: preimage-oracle.md §1). The type byte replaces byte 0 of a key.
const (
	LocalKeyType     byte = 1
	Keccak256KeyType byte = 2
)

// File descriptors of the guest (spec: preimage-oracle.md §5.3).
const (
	HintAckFD          = 3 // read: one acknowledgement byte per hint
	HintRequestFD      = 4 // write: BE4(len) ‖ hint
	PreimageResponseFD = 5 // read: BE8(len) ‖ preimage
	PreimageRequestFD  = 6 // write: 32-byte key
)

// LocalKey returns the key of the local (dispute-specific) input with the given index:
// 0x01 ‖ 23 zero bytes ‖ BE8(index). It is passed un-localized; the VM and the onchain oracle
// bind it to the dispute (spec: preimage-oracle.md §2.1).
func LocalKey(index uint64) [32]byte {
	var key [32]byte
	key[0] = LocalKeyType
	binary.BigEndian.PutUint64(key[24:], index)
	return key
}

// Keccak256Key returns the key of the global keccak256 preimage of hash: the hash with byte 0
// replaced by the type byte, so no valid key is all-zero (spec: preimage-oracle.md §1).
// Programs learn hashes from their inputs, so the guest never needs to compute keccak itself.
func Keccak256Key(hash [32]byte) [32]byte {
	hash[0] = Keccak256KeyType
	return hash
}

// Oracle requests preimages by key.
type Oracle struct {
	rw io.ReadWriter // Write sends keys; Read returns BE8(len) ‖ preimage
}

// NewOracle returns an oracle client that writes keys to rw and reads the responses from it.
//
// rw must not be buffered on the read side: inside the VM a read past the end of a preimage
// stream is a fault, so the client reads exactly the announced length and nothing more.
func NewOracle(rw io.ReadWriter) *Oracle {
	return &Oracle{rw: rw}
}

// Get returns the preimage of key; it panics if the channel fails.
func (o *Oracle) Get(key [32]byte) []byte {
	if err := writeAll(o.rw, key[:]); err != nil {
		panic(fmt.Errorf("preimage: request key %x: %w", key, err))
	}
	var prefix [8]byte
	if _, err := io.ReadFull(o.rw, prefix[:]); err != nil {
		panic(fmt.Errorf("preimage: read length of key %x: %w", key, err))
	}
	length := binary.BigEndian.Uint64(prefix[:])
	// int is 32 bits on mips; a length that does not fit can never be allocated.
	if length > math.MaxInt {
		panic(fmt.Errorf("preimage: key %x has length %d, too large for this platform", key, length))
	}
	data := make([]byte, length)
	// Inside the VM each read returns at most 4 bytes (one aligned word), hence ReadFull.
	if _, err := io.ReadFull(o.rw, data); err != nil {
		panic(fmt.Errorf("preimage: read %d bytes of key %x: %w", length, key, err))
	}
	return data
}

// Hinter sends hints to the host.
type Hinter struct {
	rw io.ReadWriter // Write sends BE4(len) ‖ hint; Read returns one acknowledgement byte
}

// NewHinter returns a hint client that writes framed hints to rw and reads acknowledgements
// from it.
func NewHinter(rw io.ReadWriter) *Hinter {
	return &Hinter{rw: rw}
}

// Hint tells the host which preimages the program will request next and waits until the host
// has processed it, so the preimages are available before they are requested (spec:
// preimage-oracle.md §4, §5.1). It panics if the channel fails.
func (h *Hinter) Hint(hint string) {
	if uint64(len(hint)) > math.MaxUint32 {
		panic(fmt.Errorf("preimage: hint of %d bytes does not fit a 4-byte length", len(hint)))
	}
	// One buffer, so a host that reads it in a single call sees the whole frame.
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(hint)), uint32(len(hint)))
	frame = append(frame, hint...)
	if err := writeAll(h.rw, frame); err != nil {
		panic(fmt.Errorf("preimage: send hint %q: %w", hint, err))
	}
	// The acknowledgement's value carries no meaning: inside the VM the read does not even
	// write memory (spec: mips32.md §6.7).
	var ack [1]byte
	if _, err := io.ReadFull(h.rw, ack[:]); err != nil {
		panic(fmt.Errorf("preimage: read acknowledgement of hint %q: %w", hint, err))
	}
}

// Open returns the oracle and hint clients on the guest's file descriptors 3–6.
//
// The files are created once and kept for the life of the program: os.NewFile attaches a
// finalizer that closes the descriptor, so a second set of files for the same descriptors
// could close them under the first one when it is collected. os.NewFile also asks fcntl
// whether the descriptor is non-blocking; the VM answers that it is not, so reads and writes
// go straight to the read and write syscalls the VM emulates.
func Open() (*Oracle, *Hinter) {
	fds.once.Do(func() {
		fds.oracle = NewOracle(pipe{
			Reader: os.NewFile(PreimageResponseFD, "preimage-response"),
			Writer: os.NewFile(PreimageRequestFD, "preimage-request"),
		})
		fds.hinter = NewHinter(pipe{
			Reader: os.NewFile(HintAckFD, "hint-ack"),
			Writer: os.NewFile(HintRequestFD, "hint-request"),
		})
	})
	return fds.oracle, fds.hinter
}

var fds struct {
	once   sync.Once
	oracle *Oracle
	hinter *Hinter
}

// pipe joins the read end of one stream and the write end of another into one channel.
type pipe struct {
	io.Reader
	io.Writer
}

// writeAll writes all of p. Inside the VM a key write stores at most 4 bytes per syscall; the
// io.Writer contract already forbids silent short writes, but a writer that breaks it must not
// make the client lose bytes of a key or a hint frame.
func writeAll(w io.Writer, p []byte) error {
	for len(p) > 0 {
		n, err := w.Write(p)
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		p = p[n:]
	}
	return nil
}
