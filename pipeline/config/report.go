package config

import (
	"errors"
	"fmt"
	"io"
)

// Report writes what `neurostream config validate` prints about the
// configuration read from name, where c and err are what Load returned:
// a warning line per key under a deprecated name (Deprecated), then a line
// per problem of loading or of Validate, each starting "name: ", or else
// "name: ok". It returns nil when there is no problem, an error counting
// them ("name: 3 errors"), or Load's error when that is not Errors.
func Report(w io.Writer, name string, c *Config, err error) error {
	if err == nil {
		for _, d := range c.Deprecated() {
			fmt.Fprintf(w, "%s: warning: %s\n", name, d)
		}
		err = c.Validate()
	}
	if err == nil {
		fmt.Fprintf(w, "%s: ok\n", name)
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		return err
	}
	for _, e := range errs {
		fmt.Fprintf(w, "%s: %v\n", name, e)
	}
	return fmt.Errorf("%s: %d errors", name, len(errs))
}
