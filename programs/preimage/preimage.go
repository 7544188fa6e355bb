// Package preimage is the guest side of the preimage oracle (spec: preimage-oracle.md §5).
//
// A fault proof program gets every input through two blocking byte streams: a hint channel,
// which tells the host what the program will ask for next, and a preimage channel, which maps a
// 32-byte key to its value. Inside the VM the streams are emulated on file descriptors 3–6;
// natively they are pipes to a host process. The clients here speak the same wire protocol to
// both, so a program can be debugged natively and then run unchanged in the VM.
//
// The package is the SDK of the guest programs: Open gives the clients (Oracle, Hinter); the key
// helpers (LocalKey, Keccak256Key, Sha256Key, BlobKey, PrecompileKey, …) build keys per spec §1;
// Oracle.GetKeccak256 and Oracle.GetSha256 verify what the host sends; ReadBootInfo reads the
// local inputs of a dispute (spec §2.3); Keccak256 is the EVM's hash, which the standard library
// lacks.
//
// Every failure panics: a program cannot continue without its inputs, and the spec makes a
// missing preimage fatal for the whole run (there is no "not found" answer).
package preimage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
)

// Key types (spec: preimage-oracle.md §1). The type byte replaces byte 0 of a key, so no valid
// key starts with 0. Type 3 (global generic) is reserved and has no helper; 129–255 are free for
// application-specific keys.
const (
	LocalKeyType      byte = 1
	Keccak256KeyType  byte = 2
	Sha256KeyType     byte = 4
	BlobKeyType       byte = 5
	PrecompileKeyType byte = 6
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
// replaced by the type byte (spec: preimage-oracle.md §1). Bytes 1–31 of the key are the hash's.
func Keccak256Key(hash [32]byte) [32]byte {
	return typed(Keccak256KeyType, hash)
}

// Keccak256KeyOf returns the keccak256 key under which data itself is served:
// Keccak256Key(Keccak256(data)).
func Keccak256KeyOf(data []byte) [32]byte {
	return Keccak256Key(Keccak256(data))
}

// Sha256Key returns the key of the global SHA-256 preimage of hash: the hash with byte 0 replaced
// by the type byte (spec: preimage-oracle.md §1).
func Sha256Key(hash [32]byte) [32]byte {
	return typed(Sha256KeyType, hash)
}

// Sha256KeyOf returns the SHA-256 key under which data itself is served:
// Sha256Key(SHA256(data)).
func Sha256KeyOf(data []byte) [32]byte {
	return Sha256Key(sha256.Sum256(data))
}

// BlobKey returns the key of the value y = p(z) of the blob polynomial p committed by the
// 48-byte KZG commitment, at the 32-byte big-endian evaluation point z:
// typed(5, keccak256(commitment ‖ z)) (spec: preimage-oracle.md §1.1). Field element i of a blob
// is at z = ω^bitrev12(i) mod r, not at z = i; the value is 32 bytes, big-endian.
func BlobKey(commitment [48]byte, z [32]byte) [32]byte {
	return typed(BlobKeyType, Keccak256(commitment[:], z[:]))
}

// PrecompileKey returns the key of the result of calling the L1 precompile at address with input,
// where requiredGas is the gas the precompile needs for it on L1:
// typed(6, keccak256(address ‖ BE8(requiredGas) ‖ input)) (spec: preimage-oracle.md §1.2; the
// legacy form without requiredGas must not be used). The value is status ‖ returndata with status
// 1 for success and 0 for failure; it is never empty.
func PrecompileKey(address [20]byte, requiredGas uint64, input []byte) [32]byte {
	var gas [8]byte
	binary.BigEndian.PutUint64(gas[:], requiredGas)
	return typed(PrecompileKeyType, Keccak256(address[:], gas[:], input))
}

// typed returns hash with byte 0 replaced by keyType (spec: preimage-oracle.md notation).
func typed(keyType byte, hash [32]byte) [32]byte {
	hash[0] = keyType
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

// Get returns the value the host sends for key; it panics if the channel fails. Get checks
// nothing about the value: for keccak256 and SHA-256 keys use GetKeccak256 and GetSha256, which
// verify it against the hash.
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

// GetLocal returns the local (dispute-specific) input with the given index (see LocalKey and the
// indices of BootInfo).
func (o *Oracle) GetLocal(index uint64) []byte {
	return o.Get(LocalKey(index))
}

// GetKeccak256 returns the preimage of the keccak256 hash and panics unless it really hashes to
// hash. The host is not trusted: a value that does not match would make the program compute on
// data the onchain oracle can never serve, so the run must fail instead. All 32 bytes are
// compared, including byte 0, which the key does not carry.
func (o *Oracle) GetKeccak256(hash [32]byte) []byte {
	data := o.Get(Keccak256Key(hash))
	if got := Keccak256(data); got != hash {
		panic(fmt.Errorf("preimage: host returned %d bytes with keccak256 %x for hash %x", len(data), got, hash))
	}
	return data
}

// GetSha256 returns the preimage of the SHA-256 hash and, like GetKeccak256, panics unless it
// really hashes to hash.
func (o *Oracle) GetSha256(hash [32]byte) []byte {
	data := o.Get(Sha256Key(hash))
	if got := sha256.Sum256(data); got != hash {
		panic(fmt.Errorf("preimage: host returned %d bytes with sha256 %x for hash %x", len(data), got, hash))
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
