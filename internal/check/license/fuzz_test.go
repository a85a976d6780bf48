package license

import "testing"

func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{"MIT", "(MIT OR Apache-2.0) AND GPL-2.0+ WITH Classpath-exception-2.0", "LicenseRef-x", "DocumentRef-a:LicenseRef-b", "((", "mit and", "GPL-2.0+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpression(s)
		if err != nil {
			return
		}
		// The canonical form parses back to itself.
		again, err := ParseExpression(e.String())
		if err != nil || again.String() != e.String() {
			t.Fatalf("%q -> %q -> %v, %v", s, e.String(), again, err)
		}
		_ = e.Class()
	})
}

func FuzzResolve(f *testing.F) {
	f.Add("MIT", "Apache 2.0", "License :: OSI Approved :: MIT License")
	f.Add("", "GNU GENERAL PUBLIC LICENSE Version 2", "")
	f.Add("(", "Redistribution and use in source and binary forms", "License :: Public Domain")
	f.Fuzz(func(t *testing.T, expr, text, classifier string) {
		r := Resolve(expr, text, []string{classifier})
		if (r.Expression == "") != (r.Class == Unknown && r.expr == nil) && r.Expression == "" {
			t.Fatalf("inconsistent result %+v", r)
		}
		if r.expr == nil && r.Problem == "" {
			t.Fatalf("unknown without a reason: %+v", r)
		}
	})
}
