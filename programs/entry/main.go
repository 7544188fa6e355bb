// Command entry checks the initial stack the VM builds (spec: mips32.md §8.5): exactly one
// argument "op-program", exactly one environment string "GODEBUG=memprofilerate=0", and memory
// profiling disabled through it. It panics on any difference and prints "entry ok" otherwise.
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
)

func main() {
	if args := os.Args; !slices.Equal(args, []string{"op-program"}) {
		panic(fmt.Sprintf("entry: os.Args = %q, want [\"op-program\"]", args))
	}
	if env := os.Environ(); !slices.Equal(env, []string{"GODEBUG=memprofilerate=0"}) {
		panic(fmt.Sprintf("entry: os.Environ() = %q, want [\"GODEBUG=memprofilerate=0\"]", env))
	}
	if runtime.MemProfileRate != 0 {
		panic(fmt.Sprintf("entry: runtime.MemProfileRate = %d, want 0", runtime.MemProfileRate))
	}
	_, _ = os.Stdout.Write([]byte("entry ok\n"))
}
