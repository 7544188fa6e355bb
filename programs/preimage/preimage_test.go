package preimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
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

// TestKeyVectors checks the key helpers against the test vectors of preimage-oracle.md §7.
func TestKeyVectors(t *testing.T) {
	r := mustHex32(t, "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001")
	rMinus1 := r
	rMinus1[31]-- // r ends in 0x01
	zeroBlob := [48]byte{0: 0xc0}
	var one [32]byte
	one[31] = 1
	var ecrecover [20]byte
	ecrecover[19] = 1
	versionedHash := sha256.Sum256(zeroBlob[:])
	versionedHash[0] = 0x01

	vectors := []struct {
		name string
		got  [32]byte
		want string
	}{
		{"local 1", LocalKey(1), "0100000000000000000000000000000000000000000000000000000000000001"},
		{"keccak empty", Keccak256KeyOf(nil), "02d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
		{"keccak faultproof", Keccak256KeyOf([]byte("faultproof")), "024c2867a87e758d67d8a8b0b3cdb8a3069918ba7fd309ff6c61b82254419a6a"},
		{"keccak key of a hash", Keccak256Key(Keccak256([]byte("faultproof"))), "024c2867a87e758d67d8a8b0b3cdb8a3069918ba7fd309ff6c61b82254419a6a"},
		{"sha256 empty", Sha256KeyOf(nil), "04b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"sha256 faultproof", Sha256KeyOf([]byte("faultproof")), "04faef04edff2410932e5c7ae507c6a7060243c63b445adbba39826d3127c74e"},
		{"sha256 key of a hash", Sha256Key(sha256.Sum256([]byte("faultproof"))), "04faef04edff2410932e5c7ae507c6a7060243c63b445adbba39826d3127c74e"},
		{"zero blob versioned hash", versionedHash, "010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014"},
		{"zero blob commitment key", Sha256Key(versionedHash), "040657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014"},
		{"blob element 0 (z = 1)", BlobKey(zeroBlob, one), "05d0386f1692642e9b46449e7ee5a7aaa85d92ab248930e0ff388ed56c79977e"},
		{"blob element 1 (z = r-1)", BlobKey(zeroBlob, rMinus1), "0548a8b457e7d906d8d22e959da25e1162d6f70cfaf8fc55338f898581217adb"},
		{"precompile ecrecover", PrecompileKey(ecrecover, 3000, make([]byte, 128)), "0634ede7674d561ed0d622612b957ba7595909b7fe94b52956a7fb8acc6c1aa3"},
	}
	for _, v := range vectors {
		if got := hex.EncodeToString(v.got[:]); got != v.want {
			t.Errorf("%s: key %s, want %s", v.name, got, v.want)
		}
	}
}

func mustHex32(t *testing.T, s string) [32]byte {
	t.Helper()
	data, err := hex.DecodeString(s)
	if err != nil || len(data) != 32 {
		t.Fatalf("bad 32-byte hex %q", s)
	}
	return [32]byte(data)
}

// fakeHost is a host process reduced to its two pipe pairs (spec: preimage-oracle.md §5). It
// answers in pieces of 1, 2, 3, 4, 1, … bytes, as small as the VM's word-sized reads, and
// records every hint and key in the order it receives them.
type fakeHost struct {
	preimages map[[32]byte][]byte

	mu     sync.Mutex
	events []string
}

// startFakeHost returns clients connected to a new fakeHost serving preimages.
func startFakeHost(t *testing.T, preimages map[[32]byte][]byte) (*Oracle, *Hinter, *fakeHost) {
	host := &fakeHost{preimages: preimages}
	keysR, keysW := io.Pipe()
	dataR, dataW := io.Pipe()
	hintsR, hintsW := io.Pipe()
	acksR, acksW := io.Pipe()
	t.Cleanup(func() {
		for _, c := range []io.Closer{keysW, dataR, hintsW, acksR} {
			_ = c.Close()
		}
	})
	go host.servePreimages(keysR, dataW)
	go host.serveHints(hintsR, acksW)
	return NewOracle(pipe{Reader: dataR, Writer: keysW}), NewHinter(pipe{Reader: acksR, Writer: hintsW}), host
}

func (h *fakeHost) log(event string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, event)
}

func (h *fakeHost) Events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

func (h *fakeHost) servePreimages(keys *io.PipeReader, data *io.PipeWriter) {
	for {
		var key [32]byte
		if _, err := io.ReadFull(keys, key[:]); err != nil {
			_ = data.CloseWithError(err)
			return
		}
		h.log(fmt.Sprintf("key %x", key))
		value, ok := h.preimages[key]
		if !ok {
			// No "not found" answer: a missing preimage ends the channel (spec §5.2).
			_ = data.CloseWithError(fmt.Errorf("fake host: no preimage for key %x", key))
			return
		}
		stream := binary.BigEndian.AppendUint64(nil, uint64(len(value)))
		stream = append(stream, value...)
		for piece := 1; len(stream) > 0; piece = piece%4 + 1 {
			k := min(piece, len(stream))
			if _, err := data.Write(stream[:k]); err != nil {
				return
			}
			stream = stream[k:]
		}
	}
}

func (h *fakeHost) serveHints(hints *io.PipeReader, acks *io.PipeWriter) {
	for {
		var length [4]byte
		if _, err := io.ReadFull(hints, length[:]); err != nil {
			_ = acks.CloseWithError(err)
			return
		}
		hint := make([]byte, binary.BigEndian.Uint32(length[:]))
		if _, err := io.ReadFull(hints, hint); err != nil {
			_ = acks.CloseWithError(err)
			return
		}
		h.log("hint " + string(hint))
		if _, err := acks.Write([]byte{0}); err != nil {
			return
		}
	}
}

func TestOracleOverPipes(t *testing.T) {
	faultproof := []byte("faultproof")
	long := counting(1000)
	oracle, hinter, host := startFakeHost(t, map[[32]byte][]byte{
		LocalKey(0):                 {1, 2, 3},
		LocalKey(1 << 40):           {},
		Keccak256KeyOf(faultproof):  faultproof,
		Keccak256KeyOf(long):        long,
		Sha256KeyOf(faultproof):     faultproof,
		Keccak256KeyOf(counting(1)): counting(1),
	})

	if got := oracle.GetLocal(0); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("GetLocal(0) = %x", got)
	}
	if got := oracle.GetLocal(1 << 40); len(got) != 0 {
		t.Fatalf("GetLocal(2^40) = %x, want empty", got)
	}
	hinter.Hint("fetch faultproof")
	if got := oracle.GetKeccak256(Keccak256(faultproof)); !bytes.Equal(got, faultproof) {
		t.Fatalf("GetKeccak256 = %q", got)
	}
	if got := oracle.GetKeccak256(Keccak256(long)); !bytes.Equal(got, long) {
		t.Fatalf("GetKeccak256 of 1000 bytes differs")
	}
	if got := oracle.GetSha256(sha256.Sum256(faultproof)); !bytes.Equal(got, faultproof) {
		t.Fatalf("GetSha256 = %q", got)
	}
	hinter.Hint("")
	if got := oracle.Get(Keccak256KeyOf(counting(1))); !bytes.Equal(got, []byte{0}) {
		t.Fatalf("Get = %x", got)
	}

	want := []string{
		fmt.Sprintf("key %x", LocalKey(0)),
		fmt.Sprintf("key %x", LocalKey(1<<40)),
		"hint fetch faultproof",
		fmt.Sprintf("key %x", Keccak256KeyOf(faultproof)),
		fmt.Sprintf("key %x", Keccak256KeyOf(long)),
		fmt.Sprintf("key %x", Sha256KeyOf(faultproof)),
		"hint ",
		fmt.Sprintf("key %x", Keccak256KeyOf(counting(1))),
	}
	if got := host.Events(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("host saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestOracleRejectsWrongPreimages serves a value under the key of another value's hash: the
// verifying getters panic, the plain Get passes it on.
func TestOracleRejectsWrongPreimages(t *testing.T) {
	right, wrong := []byte("faultproof"), []byte("faultproog")
	keccakHash, shaHash := Keccak256(right), sha256.Sum256(right)
	// Differs from keccakHash in byte 0 only, which the key does not carry.
	otherByte0 := keccakHash
	otherByte0[0] ^= 0xff
	oracle, _, _ := startFakeHost(t, map[[32]byte][]byte{
		Keccak256Key(keccakHash): wrong,
		Sha256Key(shaHash):       wrong,
	})
	if got := oracle.Get(Keccak256Key(keccakHash)); !bytes.Equal(got, wrong) {
		t.Fatalf("Get = %q", got)
	}
	mustPanic(t, "keccak256", func() { oracle.GetKeccak256(keccakHash) })
	mustPanic(t, "sha256", func() { oracle.GetSha256(shaHash) })

	oracle, _, _ = startFakeHost(t, map[[32]byte][]byte{Keccak256Key(keccakHash): right})
	mustPanic(t, "keccak256", func() { oracle.GetKeccak256(otherByte0) })
}

func TestOracleMissingPreimagePanics(t *testing.T) {
	oracle, _, _ := startFakeHost(t, map[[32]byte][]byte{})
	mustPanic(t, "no preimage", func() { oracle.GetLocal(3) })
}

func TestHintOverPipesWaitsForAck(t *testing.T) {
	hintsR, hintsW := io.Pipe()
	acksR, acksW := io.Pipe()
	defer hintsR.Close()
	defer acksW.Close()
	hinter := NewHinter(pipe{Reader: acksR, Writer: hintsW})
	done := make(chan struct{})
	go func() {
		defer close(done)
		hinter.Hint("l1-block-header 0xabcd")
	}()
	frame := make([]byte, 4+22)
	if _, err := io.ReadFull(hintsR, frame); err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{0, 0, 0, 22}, "l1-block-header 0xabcd"...); !bytes.Equal(frame, want) {
		t.Fatalf("frame = %q, want %q", frame, want)
	}
	select {
	case <-done:
		t.Fatal("Hint returned before the acknowledgement")
	default:
	}
	_, _ = acksW.Write([]byte{0x7f}) // any value acknowledges
	<-done
}

// mustPanic runs f and fails the test unless f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", want)
		}
		var msg string
		if err, ok := r.(error); ok {
			msg = err.Error()
		} else {
			msg = fmt.Sprint(r)
		}
		if !strings.Contains(msg, want) {
			t.Fatalf("panic %q does not mention %q", msg, want)
		}
	}()
	f()
}
