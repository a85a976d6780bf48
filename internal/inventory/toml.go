package inventory

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// decodeTOML decodes a TOML document into v (a pointer to a struct or map)
// the way toml.Unmarshal does, in time linear in the document. toml.Unmarshal
// looks up every key among all the keys already seen in its table, so a table
// of n keys (a [tool.poetry.dependencies] of 50,000 packages) costs O(n²);
// here the document is parsed with go-toml's own parser, built into a tree of
// tables held in maps (which also enforce TOML's rules on keys and tables
// defined twice), and decoded into v by reflection. Errors are ParseErrors
// naming the file and line.
func decodeTOML(file string, data []byte, v any) error {
	var p unstable.Parser
	p.Reset(data)
	b := &tomlBuilder{file: file, data: data, root: newTomlTable(tableExplicit), keys: make(map[string]string, 64)}
	b.current = b.root
	for p.NextExpression() {
		if err := b.expression(p.Expression()); err != nil {
			return err
		}
	}
	if err := p.Error(); err != nil {
		line := 0
		if pe, ok := err.(*unstable.ParserError); ok {
			if off := cap(data) - cap(pe.Highlight); pe.Highlight != nil && off >= 0 && off <= len(data) {
				line = b.line(off)
			}
		}
		return errf(file, line, "invalid TOML: %s", boundedError(err))
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("decodeTOML: need a non-nil pointer, got %T", v)
	}
	root := tomlValue{kind: vTable, tbl: b.root}
	if err := b.decode(rv.Elem(), &root); err != nil {
		keys := make([]string, len(err.keys))
		for i, k := range err.keys {
			keys[len(keys)-1-i] = k
		}
		return errf(file, b.line(err.off), "toml: cannot decode TOML %s into %s (key %s)", err.from, err.to, clipName(strings.Join(keys, ".")))
	}
	return nil
}

// tableKind says how a table came to be, which decides what may extend it.
type tableKind uint8

const (
	tableImplicit tableKind = iota // a parent of a [header] only: a later [header] may define it
	tableExplicit                  // defined by a [header] or [[header]]
	tableDotted                    // defined by a dotted key: more dotted keys may extend it
	tableInline                    // an inline table: nothing may extend it
)

// valueKind is the type of a tomlValue.
type valueKind uint8

const (
	vString valueKind = iota + 1
	vInteger
	vFloat
	vBool
	vDate   // time.Time, toml.LocalDate, toml.LocalTime or toml.LocalDateTime in tomlBuilder.dates
	vArray  // a static array: arr
	vTable  // a table (header, dotted or inline): tbl
	vTables // an array of tables ([[x]]): arr, each a vTable
)

// tomlValue is a value of the tree decodeTOML builds, held by value (no
// boxing of scalars).
type tomlValue struct {
	kind valueKind
	off  uint32 // offset of its key (array items: of the array's key); the parser's offsets are 32-bit
	str  string
	num  int64 // integers; 1 and 0 for booleans; a float's bits; a date's index in tomlBuilder.dates
	arr  []tomlValue
	tbl  *tomlTable
}

// float is the value of a vFloat.
func (v *tomlValue) float() float64 { return math.Float64frombits(uint64(v.num)) }

// typeName names the TOML type of v for errors.
func (v *tomlValue) typeName() string {
	switch v.kind {
	case vString:
		return "string"
	case vInteger:
		return "integer"
	case vFloat:
		return "float"
	case vBool:
		return "boolean"
	case vDate:
		return "date-time"
	case vTable:
		return "table"
	}
	return "array"
}

// tomlTable is a table of the tree. Small tables (most inline tables) keep
// their keys in a slice; a table that grows past smallTable keys gets a
// map, so lookups stay O(1) however many keys it has.
type tomlTable struct {
	kind  tableKind
	small []tomlKey
	big   map[string]*tomlValue
}

type tomlKey struct {
	name string
	val  tomlValue
}

const smallTable = 8

func newTomlTable(kind tableKind) *tomlTable {
	return &tomlTable{kind: kind}
}

// smallInline is an inline table of up to 4 keys and its keys, allocated
// at once (a lockfile holds thousands of them: one per file, per dependency).
type smallInline struct {
	t    tomlTable
	keys [4]tomlKey
}

// newInlineTable returns the table of an inline table of count keys (an
// upper bound: dotted keys add to subtables), not yet marked inline so its
// own keys may be dotted.
func newInlineTable(count int) *tomlTable {
	if count <= len(smallInline{}.keys) {
		si := &smallInline{t: tomlTable{kind: tableDotted}}
		si.t.small = si.keys[:0:count]
		return &si.t
	}
	t := newTomlTable(tableDotted)
	if count <= smallTable {
		t.small = make([]tomlKey, 0, count)
	}
	return t
}

// get returns the value of key k, nil when absent. The pointer is valid
// until the next set on t.
func (t *tomlTable) get(k string) *tomlValue {
	if t.big != nil {
		return t.big[k]
	}
	for i := range t.small {
		if t.small[i].name == k {
			return &t.small[i].val
		}
	}
	return nil
}

// set adds key k, which get said is not there.
func (t *tomlTable) set(k string, v tomlValue) {
	switch {
	case t.big != nil:
		// A copy: taking v's address would move v to the heap on every
		// call, the small tables' too.
		nv := new(tomlValue)
		*nv = v
		t.big[k] = nv
	case len(t.small) < smallTable:
		if t.small == nil {
			t.small = make([]tomlKey, 0, 4)
		}
		t.small = append(t.small, tomlKey{k, v})
	default:
		t.big = make(map[string]*tomlValue, 2*smallTable)
		for i := range t.small {
			t.big[t.small[i].name] = &t.small[i].val
		}
		nv := new(tomlValue)
		*nv = v
		t.big[k] = nv
		t.small = nil
	}
}

func (t *tomlTable) len() int {
	if t.big != nil {
		return len(t.big)
	}
	return len(t.small)
}

// each calls f for every key of t.
func (t *tomlTable) each(f func(string, *tomlValue) *tomlDecodeError) *tomlDecodeError {
	if t.big != nil {
		for k, v := range t.big {
			if err := f(k, v); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range t.small {
		if err := f(t.small[i].name, &t.small[i].val); err != nil {
			return err
		}
	}
	return nil
}

type tomlBuilder struct {
	file    string
	data    []byte
	li      lineIndex // built on the first error
	root    *tomlTable
	current *tomlTable
	parts   []string // scratch space of keyParts
	offs    []int
	dates   []any // the date-time values, which tomlValue.num indexes
	// keys interns the keys of the document: a lockfile repeats the same
	// few keys (name, version, url, hash...) thousands of times.
	keys map[string]string
}

// intern returns data as a string, the same string for every equal key.
func (b *tomlBuilder) intern(data []byte) string {
	if s, ok := b.keys[string(data)]; ok {
		return s
	}
	s := string(data)
	b.keys[s] = s
	return s
}

// line is the line of offset off.
func (b *tomlBuilder) line(off int) int {
	if b.li == nil {
		b.li = newLineIndex(b.data)
	}
	return b.li.line(off)
}

func (b *tomlBuilder) errAt(off int, format string, args ...any) error {
	return errf(b.file, b.line(off), "invalid TOML: "+format, args...)
}

// keyParts returns the parts of a (dotted) key and their offsets, valid
// until the next call.
func (b *tomlBuilder) keyParts(n *unstable.Node) ([]string, []int) {
	parts, offs := b.parts[:0], b.offs[:0]
	defer func() { b.parts, b.offs = parts, offs }()
	it := n.Key()
	for it.Next() {
		k := it.Node()
		parts = append(parts, b.intern(k.Data))
		offs = append(offs, int(k.Raw.Offset))
	}
	return parts, offs
}

func (b *tomlBuilder) expression(n *unstable.Node) error {
	switch n.Kind {
	case unstable.KeyValue:
		return b.keyValue(b.current, n)
	case unstable.Table, unstable.ArrayTable:
		parts, offs := b.keyParts(n)
		t := b.root
		for i, k := range parts[:len(parts)-1] {
			e := t.get(k)
			switch {
			case e == nil:
				nt := newTomlTable(tableImplicit)
				t.set(k, tomlValue{kind: vTable, tbl: nt, off: uint32(offs[i])})
				t = nt
			case e.kind == vTable && e.tbl.kind != tableInline:
				t = e.tbl
			case e.kind == vTables:
				t = e.arr[len(e.arr)-1].tbl
			default:
				return b.errAt(offs[i], "key %s already exists as a value", clipName(k))
			}
		}
		k, off := parts[len(parts)-1], offs[len(offs)-1]
		e := t.get(k)
		nt := newTomlTable(tableExplicit)
		if n.Kind == unstable.ArrayTable {
			item := tomlValue{kind: vTable, tbl: nt, off: uint32(off)}
			switch {
			case e == nil:
				t.set(k, tomlValue{kind: vTables, arr: []tomlValue{item}, off: uint32(off)})
			case e.kind == vTables:
				e.arr = append(e.arr, item)
			default:
				return b.errAt(off, "array of tables %s: key already defined", clipName(k))
			}
			b.current = nt
			return nil
		}
		switch {
		case e == nil:
			t.set(k, tomlValue{kind: vTable, tbl: nt, off: uint32(off)})
			b.current = nt
		case e.kind == vTable && e.tbl.kind == tableImplicit:
			e.tbl.kind = tableExplicit
			b.current = e.tbl
		default:
			return b.errAt(off, "table %s already defined", clipName(k))
		}
	}
	return nil
}

// keyValue adds `key = value` (key possibly dotted) to table t.
func (b *tomlBuilder) keyValue(t *tomlTable, n *unstable.Node) error {
	parts, offs := b.keyParts(n)
	for i, k := range parts[:len(parts)-1] {
		e := t.get(k)
		switch {
		case e == nil:
			nt := newTomlTable(tableDotted)
			t.set(k, tomlValue{kind: vTable, tbl: nt, off: uint32(offs[i])})
			t = nt
		case e.kind == vTable && e.tbl.kind == tableDotted:
			t = e.tbl
		default:
			return b.errAt(offs[i], "key %s already defined", clipName(k))
		}
	}
	k, off := parts[len(parts)-1], offs[len(offs)-1]
	if t.get(k) != nil {
		return b.errAt(off, "key %s already defined", clipName(k))
	}
	v, err := b.value(n.Value(), off)
	if err != nil {
		return err
	}
	t.set(k, v)
	return nil
}

// value converts a value node found under the key at offset off.
func (b *tomlBuilder) value(n *unstable.Node, off int) (tomlValue, error) {
	at := off
	if n.Raw.Length > 0 {
		at = int(n.Raw.Offset)
	}
	v := tomlValue{off: uint32(off)}
	switch n.Kind {
	case unstable.String:
		v.kind, v.str = vString, string(n.Data)
	case unstable.Bool:
		v.kind = vBool
		if string(n.Data) == "true" {
			v.num = 1
		}
	case unstable.Integer:
		i, err := strconv.ParseInt(string(n.Data), 0, 64)
		if err != nil {
			return v, b.errAt(at, "integer %s out of range", clipName(string(n.Data)))
		}
		v.kind, v.num = vInteger, i
	case unstable.Float:
		f, err := strconv.ParseFloat(strings.ReplaceAll(string(n.Data), "_", ""), 64)
		if err != nil {
			return v, b.errAt(at, "invalid float %s", clipName(string(n.Data)))
		}
		v.kind, v.num = vFloat, int64(math.Float64bits(f))
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		d, err := tomlDate(n.Kind, n.Data)
		if err != nil {
			return v, b.errAt(at, "invalid %s %s", strings.ToLower(n.Kind.String()), clipName(string(n.Data)))
		}
		v.kind, v.num = vDate, int64(len(b.dates))
		b.dates = append(b.dates, d)
	case unstable.Array:
		count := 0
		for it := n.Children(); it.Next(); {
			if it.Node().Kind != unstable.Comment {
				count++
			}
		}
		v.kind, v.arr = vArray, make([]tomlValue, 0, count)
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			item, err := b.value(c, off)
			if err != nil {
				return v, err
			}
			v.arr = append(v.arr, item)
		}
	case unstable.InlineTable:
		count := 0
		for it := n.Children(); it.Next(); {
			if it.Node().Kind == unstable.KeyValue {
				count++
			}
		}
		t := newInlineTable(count)
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind != unstable.KeyValue {
				continue
			}
			if err := b.keyValue(t, c); err != nil {
				return v, err
			}
		}
		t.kind = tableInline
		v.kind, v.tbl = vTable, t
	default:
		return v, b.errAt(at, "unexpected %s", n.Kind)
	}
	return v, nil
}

// offsetDateTimeRE is the shape of a TOML offset date-time (seconds
// optional, as TOML 1.1 allows).
var offsetDateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$`)

// tomlDate parses a date-time value as toml.Unmarshal stores it in an any.
func tomlDate(kind unstable.Kind, data []byte) (any, error) {
	switch kind {
	case unstable.LocalDate:
		var d toml.LocalDate
		err := d.UnmarshalText(data)
		return d, err
	case unstable.LocalTime:
		var d toml.LocalTime
		err := d.UnmarshalText(data)
		return d, err
	case unstable.LocalDateTime:
		var d toml.LocalDateTime
		err := d.UnmarshalText(data)
		return d, err
	}
	s := strings.ToUpper(string(data))
	if !offsetDateTimeRE.MatchString(s) {
		return nil, fmt.Errorf("invalid date-time")
	}
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// TOML 1.1 lets the seconds be left out.
		if t2, err2 := time.Parse("2006-01-02T15:04Z07:00", s); err2 == nil {
			return t2, nil
		}
	}
	return t, err
}

var structInfo sync.Map // reflect.Type -> *tomlFields

// tomlFields maps the keys of a struct: by tag (or field name), then
// case-insensitively, as toml.Unmarshal matches them.
type tomlFields struct {
	exact map[string]int
	fold  map[string]int
}

func fieldsOf(t reflect.Type) *tomlFields {
	if f, ok := structInfo.Load(t); ok {
		return f.(*tomlFields)
	}
	f := &tomlFields{exact: map[string]int{}, fold: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Name
		if tag, ok := sf.Tag.Lookup("toml"); ok {
			tag, _, _ = strings.Cut(tag, ",")
			if tag == "-" {
				continue
			}
			if tag != "" {
				name = tag
			}
		}
		if _, ok := f.exact[name]; !ok {
			f.exact[name] = i
		}
		if _, ok := f.fold[strings.ToLower(name)]; !ok {
			f.fold[strings.ToLower(name)] = i
		}
	}
	structInfo.Store(t, f)
	return f
}

// tomlDecodeError is a value of the wrong type for its Go destination; keys
// is its key path, innermost first.
type tomlDecodeError struct {
	off  int
	from string
	to   reflect.Type
	keys []string
}

// decode stores x in v.
func (b *tomlBuilder) decode(v reflect.Value, x *tomlValue) *tomlDecodeError {
	mismatch := func() *tomlDecodeError {
		return &tomlDecodeError{off: int(x.off), from: x.typeName(), to: v.Type()}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return b.decode(v.Elem(), x)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return mismatch()
		}
		v.Set(reflect.ValueOf(b.generic(x)))
		return nil
	case reflect.Struct:
		if x.kind == vDate {
			if dv := reflect.ValueOf(b.dates[x.num]); dv.Type() == v.Type() {
				v.Set(dv) // time.Time, toml.LocalDate, ...
				return nil
			}
		}
		if x.kind != vTable {
			return mismatch()
		}
		fields := fieldsOf(v.Type())
		return x.tbl.each(func(k string, e *tomlValue) *tomlDecodeError {
			i, ok := fields.exact[k]
			if !ok {
				if i, ok = fields.fold[strings.ToLower(k)]; !ok {
					return nil // keys the struct does not hold are ignored
				}
			}
			if err := b.decode(v.Field(i), e); err != nil {
				err.keys = append(err.keys, k)
				return err
			}
			return nil
		})
	case reflect.Map:
		if x.kind != vTable || v.Type().Key().Kind() != reflect.String {
			return mismatch()
		}
		if v.IsNil() && x.tbl.len() > 0 {
			v.Set(reflect.MakeMapWithSize(v.Type(), x.tbl.len()))
		}
		return x.tbl.each(func(k string, e *tomlValue) *tomlDecodeError {
			ev := reflect.New(v.Type().Elem()).Elem()
			if err := b.decode(ev, e); err != nil {
				err.keys = append(err.keys, k)
				return err
			}
			v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), ev)
			return nil
		})
	case reflect.Slice:
		if x.kind != vArray && x.kind != vTables {
			return mismatch()
		}
		s := reflect.MakeSlice(v.Type(), len(x.arr), len(x.arr))
		for i := range x.arr {
			if err := b.decode(s.Index(i), &x.arr[i]); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.String:
		if x.kind != vString {
			return mismatch()
		}
		v.SetString(x.str)
		return nil
	case reflect.Bool:
		if x.kind != vBool {
			return mismatch()
		}
		v.SetBool(x.num != 0)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if x.kind != vInteger || v.OverflowInt(x.num) {
			return mismatch()
		}
		v.SetInt(x.num)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if x.kind != vInteger || x.num < 0 || v.OverflowUint(uint64(x.num)) {
			return mismatch()
		}
		v.SetUint(uint64(x.num))
		return nil
	case reflect.Float32, reflect.Float64:
		switch x.kind {
		case vFloat:
			v.SetFloat(x.float())
		case vInteger:
			v.SetFloat(float64(x.num))
		default:
			return mismatch()
		}
		return nil
	}
	return mismatch()
}

// generic converts a tree value to what toml.Unmarshal stores in an any:
// map[string]any for tables, []any for arrays, scalars as they are.
func (b *tomlBuilder) generic(x *tomlValue) any {
	switch x.kind {
	case vString:
		return x.str
	case vInteger:
		return x.num
	case vFloat:
		return x.float()
	case vBool:
		return x.num != 0
	case vDate:
		return b.dates[x.num]
	case vTable:
		m := make(map[string]any, x.tbl.len())
		_ = x.tbl.each(func(k string, e *tomlValue) *tomlDecodeError {
			m[k] = b.generic(e)
			return nil
		})
		return m
	}
	out := make([]any, len(x.arr))
	for i := range x.arr {
		out[i] = b.generic(&x.arr[i])
	}
	return out
}
