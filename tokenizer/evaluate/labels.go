package evaluate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/tokenizer/corpus"
)

// labels maps examples to classes (Config.Labels).
type labels struct {
	folder  bool
	byDesc  map[string]int
	classes []string
}

const labelsField = "evaluate.Config.Labels"

func parseLabels(spec string) (*labels, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("give %w: folder, or comma-separated DESC=CLASS pairs", &corpus.FieldError{Field: labelsField})
	}
	if spec == "folder" {
		return &labels{folder: true}, nil
	}
	l := &labels{byDesc: map[string]int{}}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		desc, class, ok := strings.Cut(item, "=")
		desc, class = strings.TrimSpace(desc), strings.TrimSpace(class)
		if !ok || desc == "" || class == "" {
			return nil, &corpus.FieldError{Field: labelsField, Msg: fmt.Sprintf("%q: want DESC=CLASS", item)}
		}
		if _, dup := l.byDesc[desc]; dup {
			return nil, &corpus.FieldError{Field: labelsField, Err: fmt.Errorf("description %q given twice", desc)}
		}
		l.byDesc[desc] = l.class(class)
	}
	if len(l.classes) < 2 {
		return nil, &corpus.FieldError{Field: labelsField, Err: errors.New("give at least two classes")}
	}
	return l, nil
}

// class returns the index of a class name, adding it when new.
func (l *labels) class(name string) int {
	if i := slices.Index(l.classes, name); i >= 0 {
		return i
	}
	l.classes = append(l.classes, name)
	return len(l.classes) - 1
}
