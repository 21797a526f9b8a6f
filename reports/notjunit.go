package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// ErrNotJUnit is a file given as a JUnit report of ovacts that is not one.
var ErrNotJUnit = errors.New("not a JUnit report")

// ErrCucumberJSON is a Cucumber JSON report given where the JUnit report
// (XML) is read: the two are written side by side, and easily swapped.
var ErrCucumberJSON = errors.New("it is a Cucumber JSON report")

// notJUnit says why data, which XML could not read (err), is no JUnit report,
// in its reader's words: empty, a Cucumber JSON or other JSON file, or the
// line of its XML error.
func notJUnit(data []byte, err error) error {
	trimmed := bytes.TrimSpace(data)
	var syn *xml.SyntaxError
	switch {
	case len(trimmed) == 0:
		return fmt.Errorf("%w: the file is empty", ErrNotJUnit)
	case (trimmed[0] == '[' || trimmed[0] == '{') && json.Valid(trimmed):
		var features []struct {
			Elements []json.RawMessage `json:"elements"`
		}
		if json.Unmarshal(trimmed, &features) == nil && len(features) > 0 && features[0].Elements != nil {
			return fmt.Errorf("%w: %w; give the JUnit report (XML, the run's --junit file) or a bundle directory", ErrNotJUnit, ErrCucumberJSON)
		}
		return fmt.Errorf("%w: it is JSON; give the JUnit report (XML, the run's --junit file) or a bundle directory", ErrNotJUnit)
	case errors.As(err, &syn):
		return &LineError{Line: syn.Line, Msg: fmt.Sprintf("%s: %s", ErrNotJUnit, syn.Msg)}
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: it holds no XML element", ErrNotJUnit)
	}
	return fmt.Errorf("%w: %w", ErrNotJUnit, err)
}
