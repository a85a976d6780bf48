package advisory

import (
	"slices"
	"testing"

	"github.com/pyvet/pyvet/pep440"
)

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

// Release numbers beyond 64 bits keep their identity: the version key is
// pep440's canonical form, exact for any size, so neighbours of a huge listed
// version are not affected and spellings of it that PEP 440 calls equal are.
func TestHugeReleaseNumbers(t *testing.T) {
	const huge = "1.99999999999999999999999"
	db := boundDB(t,
		boundAdvisory("PYSEC-HUGE-1", nil, huge),
		boundAdvisory("PYSEC-HUGE-2", []Event{{Introduced: "3.18446744073709551616"}, {Fixed: "3.18446744073709551617"}}),
	)
	for _, c := range []struct {
		version string
		want    []string
	}{
		{huge, []string{"PYSEC-HUGE-1"}},
		{huge + ".0", []string{"PYSEC-HUGE-1"}},
		{"1.99999999999999999999998", nil},
		{"1.100000000000000000000000", nil},
		{"1.9223372036854775807", nil},
		{"3.18446744073709551616", []string{"PYSEC-HUGE-2"}},
		{"3.18446744073709551616.5", []string{"PYSEC-HUGE-2"}},
		{"3.18446744073709551617", nil},
		{"3.18446744073709551615", nil},
	} {
		es, err := db.Match("p", c.version)
		if err != nil || !slices.Equal(ids(es), c.want) {
			t.Errorf("Match(%s) = %v, %v; want %v", c.version, ids(es), err, c.want)
		}
	}
	if VersionKey(huge+".0.0") != huge || VersionKey("1.99999999999999999999998") == VersionKey(huge) {
		t.Errorf("VersionKey: %q, %q", VersionKey(huge+".0.0"), VersionKey("1.99999999999999999999998"))
	}
	// QuerySpec tests the release after a huge bound exactly.
	spec, err := pep440.ParseSpecifierSet(">3.18446744073709551616")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(db.QuerySpec("p", spec)); !slices.Equal(got, []string{"PYSEC-HUGE-2"}) {
		t.Errorf("QuerySpec(%s) = %v", spec, got)
	}
	spec, _ = pep440.ParseSpecifierSet(">=3.18446744073709551617")
	if got := ids(db.QuerySpec("p", spec)); len(got) != 0 {
		t.Errorf("QuerySpec(%s) = %v, want none", spec, got)
	}
}
