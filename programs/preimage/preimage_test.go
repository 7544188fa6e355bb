package preimage

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"testing/iotest"
)

// vmWriter accepts at most 4 bytes per call, like the VM's write(6, …) (spec: mips32.md §6.6).
type vmWriter struct{ buf bytes.Buffer }

func (w *vmWriter) Write(p []byte) (int, error) {
	if len(p) > 4 {
		p = p[:4]
	}
	return w.buf.Write(p)
}

// shortWriter breaks the io.Writer contract and reports short writes without an error.
type shortWriter struct{ vmWriter }

func TestKeys(t *testing.T) {
	local := LocalKey(0x0102030405060708)
	want := [32]byte{0: 1, 24: 1, 25: 2, 26: 3, 27: 4, 28: 5, 29: 6, 30: 7, 31: 8}
	if local != want {
		t.Fatalf("LocalKey = %x, want %x", local, want)
	}
	var hash [32]byte
	for i := range hash {
		hash[i] = byte(0xA0 + i)
	}
	key := Keccak256Key(hash)
	if key[0] != 2 || !bytes.Equal(key[1:], hash[1:]) || hash[0] != 0xA0 {
		t.Fatalf("Keccak256Key(%x) = %x", hash, key)
	}
}

func TestOracleShortReadsAndWrites(t *testing.T) {
	value := []byte("a preimage longer than one word")
	var stream bytes.Buffer
	stream.Write(binary.BigEndian.AppendUint64(nil, uint64(len(value))))
	stream.Write(value)
	stream.WriteString("next") // must stay unread
	w := &shortWriter{}
	oracle := NewOracle(pipe{Reader: iotest.OneByteReader(&stream), Writer: w})

	key := LocalKey(7)
	if got := oracle.Get(key); !bytes.Equal(got, value) {
		t.Fatalf("Get = %q, want %q", got, value)
	}
	if !bytes.Equal(w.buf.Bytes(), key[:]) {
		t.Fatalf("key written = %x, want %x", w.buf.Bytes(), key)
	}
	if stream.String() != "next" {
		t.Fatalf("client read past the preimage: %q left", stream.String())
	}
}

func TestOracleTruncatedResponsePanics(t *testing.T) {
	stream := bytes.NewReader([]byte{0, 0, 0, 0, 0, 0, 0, 5, 'a', 'b'})
	oracle := NewOracle(pipe{Reader: stream, Writer: io.Discard})
	defer func() {
		if recover() == nil {
			t.Fatal("Get of a truncated preimage did not panic")
		}
	}()
	oracle.Get(LocalKey(0))
}

func TestHintFrameAndAck(t *testing.T) {
	acks := bytes.NewReader([]byte{0, 0})
	w := &vmWriter{}
	hinter := NewHinter(pipe{Reader: acks, Writer: w})
	hinter.Hint("fetch-state ab")
	hinter.Hint("")
	want := append([]byte{0, 0, 0, 14}, "fetch-state ab"...)
	want = append(want, 0, 0, 0, 0)
	if !bytes.Equal(w.buf.Bytes(), want) {
		t.Fatalf("hint frames = %q, want %q", w.buf.Bytes(), want)
	}
	if acks.Len() != 0 {
		t.Fatalf("%d acknowledgement bytes left unread", acks.Len())
	}
}
