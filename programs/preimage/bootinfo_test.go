package preimage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

func bootInputs() map[[32]byte][]byte {
	return map[[32]byte][]byte{
		LocalKey(1): bytes.Repeat([]byte{0x11}, 32),
		LocalKey(2): bytes.Repeat([]byte{0x22}, 32),
		LocalKey(3): bytes.Repeat([]byte{0x33}, 32),
		LocalKey(4): binary.BigEndian.AppendUint64(nil, 0x0102030405060708),
		LocalKey(5): binary.BigEndian.AppendUint64(nil, 10),
		LocalKey(6): []byte(`{"chainId":1}`),
		LocalKey(7): []byte(`{"l2_chain_id":1}`),
	}
}

func localKeyEvents(indices ...uint64) string {
	events := make([]string, len(indices))
	for i, index := range indices {
		events[i] = fmt.Sprintf("key %x", LocalKey(index))
	}
	return strings.Join(events, "\n")
}

func TestReadBootInfo(t *testing.T) {
	oracle, _, host := startFakeHost(t, bootInputs())
	info := ReadBootInfo(oracle)
	want := BootInfo{
		L1Head:                [32]byte(bytes.Repeat([]byte{0x11}, 32)),
		AgreedOutputRoot:      [32]byte(bytes.Repeat([]byte{0x22}, 32)),
		DisputedOutputRoot:    [32]byte(bytes.Repeat([]byte{0x33}, 32)),
		DisputedL2BlockNumber: 0x0102030405060708,
		L2ChainID:             10,
	}
	if fmt.Sprint(info) != fmt.Sprint(want) {
		t.Fatalf("ReadBootInfo = %+v, want %+v", info, want)
	}
	if got, want := strings.Join(host.Events(), "\n"), localKeyEvents(1, 2, 3, 4, 5); got != want {
		t.Fatalf("requests:\n%s\nwant\n%s", got, want)
	}
}

func TestReadBootInfoCustomChain(t *testing.T) {
	inputs := bootInputs()
	inputs[LocalKey(5)] = binary.BigEndian.AppendUint64(nil, CustomChainID)
	oracle, _, host := startFakeHost(t, inputs)
	info := ReadBootInfo(oracle)
	if info.L2ChainID != CustomChainID || string(info.L2ChainConfig) != `{"chainId":1}` ||
		string(info.RollupConfig) != `{"l2_chain_id":1}` {
		t.Fatalf("ReadBootInfo = %+v", info)
	}
	if got, want := strings.Join(host.Events(), "\n"), localKeyEvents(1, 2, 3, 4, 5, 6, 7); got != want {
		t.Fatalf("requests:\n%s\nwant\n%s", got, want)
	}
}

func TestReadBootInfoWrongSizes(t *testing.T) {
	for index, size := range map[uint64]int{1: 31, 2: 33, 3: 0, 4: 32, 5: 7} {
		inputs := bootInputs()
		inputs[LocalKey(index)] = make([]byte, size)
		oracle, _, _ := startFakeHost(t, inputs)
		mustPanic(t, fmt.Sprintf("local %d has %d bytes", index, size), func() { ReadBootInfo(oracle) })
	}
}
