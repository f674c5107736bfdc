package view

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestStart: Start serves the page until stop, which ends the hub and the
// server; ParseOffset reads --from's names.
func TestStart(t *testing.T) {
	_, addr, stop, err := Start(context.Background(), Config{Source: "test source"}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "<html") {
		t.Errorf("GET /: %d\n%.200s", res.StatusCode, b)
	}
	stop()
	if _, err := http.Get("http://" + addr + "/"); err == nil {
		t.Error("still serving after stop")
	}
	if _, _, _, err := Start(context.Background(), Config{}, "no-port"); err == nil {
		t.Error("an address without a port served")
	}

	for name, want := range map[string]Offset{"latest": Latest, "earliest": Earliest} {
		if got, err := ParseOffset(name); got != want || err != nil {
			t.Errorf("ParseOffset(%q) = %v, %v", name, got, err)
		}
	}
	if _, err := ParseOffset("first"); err == nil || err.Error() != `"first": want latest or earliest` {
		t.Errorf("ParseOffset(first): %v", err)
	}
}
