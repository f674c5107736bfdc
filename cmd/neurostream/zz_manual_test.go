package main

import (
	"os"
	"strings"
	"testing"
)

func TestZZManual(t *testing.T) {
	a := os.Getenv("NS_ARGS")
	if a == "" {
		t.Skip()
	}
	out, errs, err := ktCLI(t.Context(), strings.Fields(a)...)
	os.Stdout.WriteString(out)
	os.Stderr.WriteString(errs)
	if err != nil {
		t.Fatal(err)
	}
}
