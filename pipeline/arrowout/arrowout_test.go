package arrowout

import "testing"

func TestIdempotencyKey(t *testing.T) {
	r := Result{Kind: KindBandPower, Key: WindowKey{Session: "s01", Window: 42}}
	if k := r.IdempotencyKey(); k != "s01/bandpower/42" {
		t.Errorf("key %q", k)
	}
}
