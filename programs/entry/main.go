// Command entry checks the initial stack the VM builds: the arguments and environment each VM's
// loader puts there, and memory profiling disabled. MIPS32 (mips32.md §8.5) passes one argument
// "op-program" and one environment string "GODEBUG=memprofilerate=0"; RV64 (riscv64.md §9.5) passes
// no argument and an environment whose only entry is empty, which Go drops, and disables profiling
// by patching runtime.MemProfileRate. It panics on any difference and prints "entry ok" otherwise.
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
)

type startup struct {
	args []string
	env  []string
}

var expected = map[string]startup{
	"mips":    {args: []string{"op-program"}, env: []string{"GODEBUG=memprofilerate=0"}},
	"riscv64": {args: []string{}, env: []string{}},
}

func main() {
	want, ok := expected[runtime.GOARCH]
	if !ok {
		panic(fmt.Sprintf("entry: no expectation for GOARCH %q", runtime.GOARCH))
	}
	if args := os.Args; !slices.Equal(args, want.args) {
		panic(fmt.Sprintf("entry: os.Args = %q, want %q", args, want.args))
	}
	if env := os.Environ(); !slices.Equal(env, want.env) {
		panic(fmt.Sprintf("entry: os.Environ() = %q, want %q", env, want.env))
	}
	if runtime.MemProfileRate != 0 {
		panic(fmt.Sprintf("entry: runtime.MemProfileRate = %d, want 0", runtime.MemProfileRate))
	}
	_, _ = os.Stdout.Write([]byte("entry ok\n"))
}
