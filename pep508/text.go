package pep508

// MarshalText implements encoding.TextMarshaler. The text is String's
// normalized form with two differences in marker values, so that it always
// parses back to a requirement with the same text: a double quote, a
// backslash or a control character is written as a \xNN escape (String
// writes values as they are, as packaging does, which cannot be parsed back
// when a value holds a double quote), and every value compared with "extra"
// is written PEP 503-normalized (packaging's parser normalizes only the
// first; evaluation normalizes both sides anyway). A nil *Requirement
// marshals as empty text.
func (r *Requirement) MarshalText() ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	return []byte(r.format(true)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseRequirement.
// Empty text is an error, as for ParseRequirement.
func (r *Requirement) UnmarshalText(text []byte) error {
	p, err := ParseRequirement(string(text))
	if err != nil {
		return err
	}
	*r = *p
	return nil
}

// MarshalText implements encoding.TextMarshaler: String's normalized form,
// with values escaped and extra values normalized as Requirement.MarshalText
// describes, so the text always parses back to a marker with the same text
// that evaluates the same everywhere. A nil *Marker (no marker) marshals as
// empty text.
func (m *Marker) MarshalText() ([]byte, error) { return []byte(m.format(true)), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseMarker.
// Empty text is an error, as for ParseMarker.
func (m *Marker) UnmarshalText(text []byte) error {
	p, err := ParseMarker(string(text))
	if err != nil {
		return err
	}
	*m = *p
	return nil
}
