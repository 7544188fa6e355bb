// Command hello writes "hello world!\n" to stdout in one write and exits 0 (spec: mips32.md
// §11.2). It is the smallest useful guest: no oracle traffic, only the Go runtime's start-up.
package main

import "os"

func main() {
	_, _ = os.Stdout.Write([]byte("hello world!\n"))
}
