package advisory

import "testing"

func TestFromJSONEmpty(t *testing.T) {
	db, err := FromJSON(nil, Meta{Source: "https://example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Len() != 0 || len(db.Query("requests", "")) != 0 || db.Meta().Source != "https://example.test" {
		t.Fatalf("empty database: %d entries, meta %+v", db.Len(), db.Meta())
	}
}
