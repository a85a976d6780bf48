package inventory

import "testing"

func TestPyJSON(t *testing.T) {
	v := map[string]any{"b": []any{int64(1), 2.5, true, nil}, "a": "é\"\n😀", "c": map[string]any{}}
	// Expected strings from Python: json.dumps(v, sort_keys=True) and with separators=(",", ":").
	if got, want := pyJSON(v, false), `{"a": "\u00e9\"\n\ud83d\ude00", "b": [1, 2.5, true, null], "c": {}}`; got != want {
		t.Errorf("pyJSON = %s, want %s", got, want)
	}
	if got, want := pyJSON(v, true), `{"a":"\u00e9\"\n\ud83d\ude00","b":[1,2.5,true,null],"c":{}}`; got != want {
		t.Errorf("compact pyJSON = %s, want %s", got, want)
	}
	for f, want := range map[float64]string{1: "1.0", 0.1: "0.1", 1e16: "1e+16", 1.5e-5: "1.5e-05", 123456.25: "123456.25"} {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %s, want %s", f, got, want)
		}
	}
}
