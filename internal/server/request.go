package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/internal/safeio"
)

// Field length limits of a query, far above any real value (the longest
// PyPI version in the PyPA advisory database has 32 bytes, the longest
// package name 41), so that a hostile query costs no more than a real one.
// A longer field is a 400 answer.
const (
	MaxNameLen      = 256  // package name
	MaxVersionLen   = 128  // version
	MaxPURLLen      = 1024 // purl, percent-encoded
	MaxPageTokenLen = 512  // page_token
	MaxCommitLen    = 128  // commit
)

// checkLen rejects a field longer than max, quoting only an excerpt of it.
func checkLen(field, s string, max int) error {
	if len(s) > max {
		return badRequest("%s too long: %d bytes, at most %d: %s", field, len(s), max, safeio.Excerpt(s))
	}
	return nil
}

// jsonProblem describes a JSON decoding error in a bounded message: a type
// error names the field and the kinds, never the offending value (a number
// literal may be megabytes long).
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		got, _, _ := strings.Cut(te.Value, " ")
		field := te.Field
		if field == "" {
			field = "the request"
		}
		return safeio.ExcerptN(fmt.Sprintf("%s is a JSON %s, want %s", field, got, jsonKind(te.Type)), 160)
	}
	return safeio.ExcerptN(err.Error(), 160)
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.String()
}

// wireQuery is a query as clients send it. osv.dev reads requests as
// protobuf JSON, which takes a field by its proto name and by its
// lowerCamelCase JSON name, and osv.dev's own Go client (protojson) writes
// "pageToken": both spellings are read.
type wireQuery struct {
	osvclient.Query
	PageTokenJSON string `json:"pageToken"`
}

// query is the query, with its page token whichever way it was spelled.
func (w *wireQuery) query() (osvclient.Query, error) {
	q := w.Query
	if w.PageTokenJSON != "" {
		if q.PageToken != "" && q.PageToken != w.PageTokenJSON {
			return q, badRequest("the page token is given twice, as page_token and as pageToken")
		}
		q.PageToken = w.PageTokenJSON
	}
	return q, nil
}

// decodeQuery parses one /v1/query body.
func decodeQuery(data []byte) (osvclient.Query, error) {
	var w wireQuery
	if err := decodeJSON(data, &w); err != nil {
		return osvclient.Query{}, err
	}
	return w.query()
}

// decodeBatch parses a /v1/querybatch body, {"queries":[...]}, one query at
// a time, and fails as soon as it holds more than max queries: a body of
// tiny queries never becomes millions of decoded ones. Other members of
// the object are skipped, as unknown fields are elsewhere.
func decodeBatch(data []byte, max int) ([]osvclient.Query, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, badRequest("empty request body; want a JSON object")
	}
	invalid := func(err error) error {
		return badRequest("invalid JSON request: %s", jsonProblem(err))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid(err)
	}
	if tok != json.Delim('{') {
		return nil, badRequest(`invalid JSON request: want an object {"queries":[...]}`)
	}
	var queries []osvclient.Query
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(err)
		}
		// encoding/json matches member names case-insensitively.
		if key, _ := tok.(string); !strings.EqualFold(key, "queries") {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, invalid(err)
			}
			continue
		}
		if tok, err = dec.Token(); err != nil {
			return nil, invalid(err)
		}
		if tok == nil { // "queries": null
			queries = nil
			continue
		}
		if tok != json.Delim('[') {
			return nil, badRequest("invalid JSON request: queries is not an array")
		}
		queries = queries[:0] // a repeated member replaces the earlier one
		for dec.More() {
			if len(queries) == max {
				return nil, badRequest("too many queries: more than %d per batch", max)
			}
			var w wireQuery
			if err := dec.Decode(&w); err != nil {
				return nil, badRequest("query %d: invalid JSON request: %s", len(queries), jsonProblem(err))
			}
			q, err := w.query()
			if err != nil {
				return nil, badRequest("query %d: %s", len(queries), err)
			}
			queries = append(queries, q)
		}
		if _, err := dec.Token(); err != nil { // ]
			return nil, invalid(err)
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return nil, invalid(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("invalid JSON request: data after the JSON object")
	}
	return queries, nil
}
