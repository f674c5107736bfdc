package config

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/neurostream/neurostream/configs"
)

// BuiltinPrefix names one of the configurations embedded from configs/:
// builtin:demo.yaml.
const BuiltinPrefix = "builtin:"

// LoadFile loads file, or the embedded configuration BuiltinPrefix+NAME,
// as Load does (defaults, the file, NEUROSTREAM_* overrides); it does not
// validate. An unknown embedded name is an error listing the others.
func LoadFile(file string) (*Config, error) {
	name, ok := strings.CutPrefix(file, BuiltinPrefix)
	if !ok {
		return Load(nil, file)
	}
	if _, err := fs.Stat(configs.FS, name); err != nil {
		names, _ := fs.Glob(configs.FS, "*.yaml") // a valid pattern: no error
		for i, n := range names {
			names[i] = BuiltinPrefix + n
		}
		return nil, fmt.Errorf("%s: no such embedded configuration (there are %s)", file, strings.Join(names, ", "))
	}
	return Load(configs.FS, name)
}

// Open loads file as LoadFile does and validates it: a configuration
// ready to Build or Run. A validation error names file.
func Open(file string) (*Config, error) {
	c, err := LoadFile(file)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s:\n%w", file, err)
	}
	return c, nil
}
