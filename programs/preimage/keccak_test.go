package preimage

import (
	"bytes"
	"encoding/hex"
	"hash"
	"testing"
)

func TestKeccak256Vectors(t *testing.T) {
	// Digests from Python's safe-pysha3 (sha3.keccak_256), the EVM's Keccak-256.
	vectors := []struct {
		input []byte
		want  string
	}{
		{nil, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
		{[]byte("faultproof"), "3b4c2867a87e758d67d8a8b0b3cdb8a3069918ba7fd309ff6c61b82254419a6a"},
		// Around the rate of 136 bytes: one byte short (both padding bits in one byte, 0x81),
		// exactly one block (a whole padding block follows), one byte over, two blocks.
		{bytes.Repeat([]byte("a"), 135), "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446"},
		{bytes.Repeat([]byte("a"), 136), "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e"},
		{bytes.Repeat([]byte("a"), 137), "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39"},
		{bytes.Repeat([]byte("a"), 272), "cf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8"},
		{counting(768), "00e77ce2c4f77212a0d5df106b08157b77058479357a98a6039b457c469723e4"},
	}
	for _, v := range vectors {
		got := Keccak256(v.input)
		if hex.EncodeToString(got[:]) != v.want {
			t.Errorf("Keccak256(%d bytes) = %x, want %s", len(v.input), got, v.want)
		}
		h := NewKeccak256()
		_, _ = h.Write(v.input)
		if sum := h.Sum(nil); hex.EncodeToString(sum) != v.want {
			t.Errorf("streaming Keccak-256 of %d bytes = %x, want %s", len(v.input), sum, v.want)
		}
	}
}

func TestKeccak256ConcatenatesArguments(t *testing.T) {
	data := counting(300)
	want := Keccak256(data)
	if got := Keccak256(data[:100], nil, data[100:250], data[250:]); got != want {
		t.Fatalf("Keccak256(parts) = %x, want %x", got, want)
	}
	if got := Keccak256(); got != Keccak256(nil) {
		t.Fatalf("Keccak256() = %x, want the digest of the empty string", got)
	}
}

// TestKeccak256Streaming writes every length up to three blocks in chunks of every size up to
// one block plus one, so each path of Write (fill the tail, whole blocks, new tail) is exercised.
func TestKeccak256Streaming(t *testing.T) {
	data := counting(3*Keccak256BlockSize + 1)
	for n := 0; n <= len(data); n++ {
		want := Keccak256(data[:n])
		for chunk := 1; chunk <= Keccak256BlockSize+1; chunk++ {
			var h Keccak256Hasher
			for rest := data[:n]; len(rest) > 0; {
				k := min(chunk, len(rest))
				if written, err := h.Write(rest[:k]); written != k || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", k, written, err)
				}
				rest = rest[k:]
			}
			if got := h.Sum256(); got != want {
				t.Fatalf("%d bytes in chunks of %d: %x, want %x", n, chunk, got, want)
			}
		}
	}
}

func TestKeccak256HasherInterface(t *testing.T) {
	var h hash.Hash = NewKeccak256()
	if h.Size() != 32 || h.BlockSize() != 136 {
		t.Fatalf("Size, BlockSize = %d, %d, want 32, 136", h.Size(), h.BlockSize())
	}
	_, _ = h.Write([]byte("fault"))
	first := h.Sum([]byte("prefix"))
	if !bytes.HasPrefix(first, []byte("prefix")) || len(first) != 6+32 {
		t.Fatalf("Sum did not append the digest: %x", first)
	}
	// Sum does not change the state: writing on gives the digest of the whole input.
	_, _ = h.Write([]byte("proof"))
	if got, want := h.Sum(nil), Keccak256([]byte("faultproof")); !bytes.Equal(got, want[:]) {
		t.Fatalf("digest after Sum and more input = %x, want %x", got, want)
	}
	h.Reset()
	if got, want := h.Sum(nil), Keccak256(); !bytes.Equal(got, want[:]) {
		t.Fatalf("digest after Reset = %x, want %x", got, want)
	}
}

func TestKeccakF1600OfZeroState(t *testing.T) {
	// First and last lanes of Keccak-f[1600] applied to the all-zero state (Keccak team's
	// KeccakF-1600-IntermediateValues.txt).
	var state [25]uint64
	keccakF1600(&state)
	if state[0] != 0xF1258F7940E1DDE7 || state[24] != 0xEAF1FF7B5CECA249 {
		t.Fatalf("Keccak-f[1600](0) lanes 0, 24 = %016X, %016X", state[0], state[24])
	}
}

// counting returns n bytes 0, 1, 2, … (mod 256).
func counting(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i)
	}
	return data
}
