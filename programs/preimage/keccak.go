package preimage

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

// Keccak-256 as the EVM uses it: the original Keccak submission with the padding byte 0x01, not
// the 0x06 of the final SHA3-256 standard (spec: preimage-oracle.md notation H, §6.3). The
// standard library has SHA-256 but no Keccak, and the guests may not depend on golang.org/x, so
// the SDK carries this small implementation. It is written for clarity and portability (lanes
// are read little-endian explicitly, so it is the same on big-endian mips), not for speed.

const (
	// Keccak256Size is the length of a Keccak-256 digest in bytes.
	Keccak256Size = 32
	// Keccak256BlockSize is the rate of the Keccak-256 sponge in bytes: 1600 - 2·256 bits.
	Keccak256BlockSize = 136
)

// Keccak256 returns the Keccak-256 digest of the concatenation of data.
func Keccak256(data ...[]byte) [32]byte {
	var h Keccak256Hasher
	for _, d := range data {
		_, _ = h.Write(d)
	}
	return h.Sum256()
}

// Keccak256Hasher is a streaming Keccak-256. Its zero value is ready to use; it implements
// hash.Hash (see NewKeccak256).
type Keccak256Hasher struct {
	state [25]uint64               // lane (x, y) at index x + 5y
	buf   [Keccak256BlockSize]byte // the unabsorbed tail of the input
	n     int                      // bytes used in buf
}

var _ hash.Hash = (*Keccak256Hasher)(nil)

// NewKeccak256 returns a new streaming Keccak-256.
func NewKeccak256() hash.Hash {
	return new(Keccak256Hasher)
}

// Write absorbs p. It never fails.
func (h *Keccak256Hasher) Write(p []byte) (int, error) {
	written := len(p)
	if h.n > 0 {
		k := copy(h.buf[h.n:], p)
		h.n += k
		p = p[k:]
		if h.n < Keccak256BlockSize {
			return written, nil
		}
		absorb(&h.state, h.buf[:])
		h.n = 0
	}
	for len(p) >= Keccak256BlockSize {
		absorb(&h.state, p[:Keccak256BlockSize])
		p = p[Keccak256BlockSize:]
	}
	h.n = copy(h.buf[:], p)
	return written, nil
}

// Sum256 returns the digest of everything written so far without changing the hasher.
func (h *Keccak256Hasher) Sum256() [32]byte {
	// Pad a copy: pad10*1 with the domain byte 0x01; both bits land in one byte for a tail of
	// Keccak256BlockSize-1 bytes, giving 0x81.
	block := h.buf
	clear(block[h.n:])
	block[h.n] ^= 0x01
	block[Keccak256BlockSize-1] ^= 0x80
	state := h.state
	absorb(&state, block[:])
	var digest [32]byte
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(digest[8*i:], state[i])
	}
	return digest
}

// Sum appends the digest of everything written so far to b; the hasher is not changed.
func (h *Keccak256Hasher) Sum(b []byte) []byte {
	digest := h.Sum256()
	return append(b, digest[:]...)
}

// Reset returns the hasher to its initial (empty) state.
func (h *Keccak256Hasher) Reset() { *h = Keccak256Hasher{} }

// Size returns Keccak256Size.
func (h *Keccak256Hasher) Size() int { return Keccak256Size }

// BlockSize returns Keccak256BlockSize, the sponge rate.
func (h *Keccak256Hasher) BlockSize() int { return Keccak256BlockSize }

// absorb XORs one block of Keccak256BlockSize bytes into the first 17 lanes (little-endian) and
// applies the permutation.
func absorb(state *[25]uint64, block []byte) {
	for i := 0; i < Keccak256BlockSize/8; i++ {
		state[i] ^= binary.LittleEndian.Uint64(block[8*i:])
	}
	keccakF1600(state)
}

// roundConstants are the ι constants of the 24 rounds of Keccak-f[1600].
var roundConstants = [24]uint64{
	0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
	0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
	0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
	0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
	0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
	0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
}

// keccakF1600 is the Keccak-f[1600] permutation: 24 rounds of θ, ρ, π, χ, ι on the 5×5 lanes
// A[x, y] = a[x+5y]. ρ and π are unrolled with the rotation offsets r[x, y] of the Keccak
// reference.
func keccakF1600(a *[25]uint64) {
	for round := 0; round < 24; round++ {
		// θ: D[x] = C[x-1] ^ rotl(C[x+1], 1), C[x] = A[x, 0] ^ … ^ A[x, 4].
		c0 := a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
		c1 := a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
		c2 := a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
		c3 := a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
		c4 := a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
		d0 := c4 ^ bits.RotateLeft64(c1, 1)
		d1 := c0 ^ bits.RotateLeft64(c2, 1)
		d2 := c1 ^ bits.RotateLeft64(c3, 1)
		d3 := c2 ^ bits.RotateLeft64(c4, 1)
		d4 := c3 ^ bits.RotateLeft64(c0, 1)
		// ρ and π: B[y, 2x+3y] = rotl(A[x, y] ^ D[x], r[x, y]).
		b0 := a[0] ^ d0
		b1 := bits.RotateLeft64(a[6]^d1, 44)
		b2 := bits.RotateLeft64(a[12]^d2, 43)
		b3 := bits.RotateLeft64(a[18]^d3, 21)
		b4 := bits.RotateLeft64(a[24]^d4, 14)
		b5 := bits.RotateLeft64(a[3]^d3, 28)
		b6 := bits.RotateLeft64(a[9]^d4, 20)
		b7 := bits.RotateLeft64(a[10]^d0, 3)
		b8 := bits.RotateLeft64(a[16]^d1, 45)
		b9 := bits.RotateLeft64(a[22]^d2, 61)
		b10 := bits.RotateLeft64(a[1]^d1, 1)
		b11 := bits.RotateLeft64(a[7]^d2, 6)
		b12 := bits.RotateLeft64(a[13]^d3, 25)
		b13 := bits.RotateLeft64(a[19]^d4, 8)
		b14 := bits.RotateLeft64(a[20]^d0, 18)
		b15 := bits.RotateLeft64(a[4]^d4, 27)
		b16 := bits.RotateLeft64(a[5]^d0, 36)
		b17 := bits.RotateLeft64(a[11]^d1, 10)
		b18 := bits.RotateLeft64(a[17]^d2, 15)
		b19 := bits.RotateLeft64(a[23]^d3, 56)
		b20 := bits.RotateLeft64(a[2]^d2, 62)
		b21 := bits.RotateLeft64(a[8]^d3, 55)
		b22 := bits.RotateLeft64(a[14]^d4, 39)
		b23 := bits.RotateLeft64(a[15]^d0, 41)
		b24 := bits.RotateLeft64(a[21]^d1, 2)
		// χ: A[x, y] = B[x, y] ^ (^B[x+1, y] & B[x+2, y]), row by row.
		a[0] = b0 ^ (^b1 & b2)
		a[1] = b1 ^ (^b2 & b3)
		a[2] = b2 ^ (^b3 & b4)
		a[3] = b3 ^ (^b4 & b0)
		a[4] = b4 ^ (^b0 & b1)
		a[5] = b5 ^ (^b6 & b7)
		a[6] = b6 ^ (^b7 & b8)
		a[7] = b7 ^ (^b8 & b9)
		a[8] = b8 ^ (^b9 & b5)
		a[9] = b9 ^ (^b5 & b6)
		a[10] = b10 ^ (^b11 & b12)
		a[11] = b11 ^ (^b12 & b13)
		a[12] = b12 ^ (^b13 & b14)
		a[13] = b13 ^ (^b14 & b10)
		a[14] = b14 ^ (^b10 & b11)
		a[15] = b15 ^ (^b16 & b17)
		a[16] = b16 ^ (^b17 & b18)
		a[17] = b17 ^ (^b18 & b19)
		a[18] = b18 ^ (^b19 & b15)
		a[19] = b19 ^ (^b15 & b16)
		a[20] = b20 ^ (^b21 & b22)
		a[21] = b21 ^ (^b22 & b23)
		a[22] = b22 ^ (^b23 & b24)
		a[23] = b23 ^ (^b24 & b20)
		a[24] = b24 ^ (^b20 & b21)

		// ι
		a[0] ^= roundConstants[round]
	}
}
