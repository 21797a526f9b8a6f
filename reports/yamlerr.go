package reports

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LineError is what is wrong with a YAML input file (a waiver list,
// product.yaml), in the words of the file's author: the file (once InFile
// names it), the line (0: the file as a whole) and no Go type.
type LineError struct {
	Path string
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("%s line %d: %s", e.Path, e.Line, e.Msg)
	case e.Path != "":
		return e.Path + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// InFile names the file err is about: "FILE line N: what" for a LineError,
// "FILE: what" otherwise.
func InFile(path string, err error) error {
	var le *LineError
	if errors.As(err, &le) && le.Path == "" {
		named := *le
		named.Path = path
		if error(le) == err {
			return &named
		}
	}
	return fmt.Errorf("%s: %w", path, err)
}

var (
	yamlTypeErr  = regexp.MustCompile("^line ([0-9]+): cannot unmarshal !!([a-z]+)(?: `(.*)`)? into (.+)$")
	yamlFieldErr = regexp.MustCompile(`^line ([0-9]+): field (.+) not found in type (.+)$`)
	yamlSyntax   = regexp.MustCompile(`^yaml: line ([0-9]+): (.+)$`)
)

// yamlProblem says what a YAML decoding error of data into top (a pointer)
// means for the file's author: the key and line, what is expected there and
// what was found.
func yamlProblem(data []byte, err error, top any) error {
	if errors.Is(err, io.EOF) {
		return &LineError{Msg: "the file is empty"}
	}
	types := map[string]reflect.Type{}
	collectTypes(reflect.TypeOf(top), types)
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		if m := yamlSyntax.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return &LineError{Line: n, Msg: "not valid YAML: " + m[2]}
		}
		return &LineError{Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	msg := te.Errors[0]
	if m := yamlFieldErr.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &LineError{Line: n, Msg: fmt.Sprintf("unknown key '%s' (the keys here: %s)", m[2], strings.Join(yamlKeys(types[m[3]]), ", "))}
	}
	if m := yamlTypeErr.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &LineError{Line: n, Msg: fmt.Sprintf("%s must be %s, not %s", placeAt(&root, n, "!!"+m[2]), shape(types[m[4]]), found(m[2], m[3]))}
	}
	return &LineError{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// collectTypes records t and every type inside it by the name YAML's errors give.
func collectTypes(t reflect.Type, seen map[string]reflect.Type) {
	if t == nil || seen[t.String()] != nil {
		return
	}
	seen[t.String()] = t
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		collectTypes(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			collectTypes(t.Field(i).Type, seen)
		}
	}
}

// yamlKeys are the keys a struct takes in YAML.
func yamlKeys(t reflect.Type) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// shape is what a value of type t looks like in YAML.
func shape(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.Slice:
		if e := t.Elem(); e.Kind() == reflect.Struct {
			return "a list of entries, each with " + strings.Join(yamlKeys(e), ", ")
		}
		return "a list"
	case reflect.Struct:
		return "a mapping with the keys " + strings.Join(yamlKeys(t), ", ")
	case reflect.Map:
		return "a mapping"
	case reflect.String:
		return "a single value"
	case reflect.Bool:
		return "true or false"
	default:
		return "a number"
	}
}

// found is what YAML read, by its tag.
func found(tag, value string) string {
	switch tag {
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "str":
		return strconv.Quote(value)
	default:
		return fmt.Sprintf("%s %s", tag, value)
	}
}

// placeAt names where the value of YAML tag tag on line n sits: the key it is the value of
// ('waivers'), an entry of a list under a key, or the document.
func placeAt(root *yaml.Node, n int, tag string) string {
	if p := findPlace(root, n, tag, ""); p != "" {
		return p
	}
	return "the file"
}

func findPlace(node *yaml.Node, n int, tag, key string) string {
	switch node.Kind {
	case yaml.DocumentNode:
		for _, c := range node.Content {
			if p := findPlace(c, n, tag, key); p != "" {
				return p
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if v.Line == n && v.ShortTag() == tag {
				return "'" + k.Value + "'"
			}
			if p := findPlace(v, n, tag, k.Value); p != "" {
				return p
			}
		}
	case yaml.SequenceNode:
		for _, c := range node.Content {
			if c.Line == n && c.ShortTag() == tag && key != "" {
				return "each entry of '" + key + "'"
			}
			if p := findPlace(c, n, tag, key); p != "" {
				return p
			}
		}
	}
	return ""
}
