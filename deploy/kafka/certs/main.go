// Command certs writes the certificates and the SASL password of the
// local SASL_SSL broker (deploy/kafka/up.sh with NEUROSTREAM_KAFKA_SECURE=1)
// into one folder: a fresh CA and certificates at every start, the
// password once (the SCRAM credentials stored in the broker's data are
// made from it, so it stays while the data does).
//
//	go run ./deploy/kafka/certs -dir RUN/secure -host 127.0.0.1
//
// Files (keys and the password with mode 0600):
//
//	ca.pem                      the CA the broker and the clients trust
//	server.pem                  the broker's keystore: key, certificate, CA (PEM)
//	expired-server.pem          the same with a certificate that expired yesterday
//	client.pem, client-key.pem  a client certificate for the mTLS listener
//	expired-client.pem, expired-client-key.pem   one that expired yesterday
//	untrusted-ca.pem            another CA, which signed nothing the broker uses
//	untrusted-client.pem, untrusted-client-key.pem   a client certificate of that CA
//	username, password          the SASL user (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)
//
// Not for production: the CA key is thrown away, and every file is in
// the broker's run folder.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// Username is the SASL user of the local broker.
const Username = "neurostream"

func main() {
	dir := flag.String("dir", "", "folder to write into (created, mode 0700)")
	host := flag.String("host", "127.0.0.1", "the broker's host: the server certificates' subject alternative name (with localhost)")
	days := flag.Int("days", 30, "validity of the certificates in days")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "certs: -dir is required")
		os.Exit(2)
	}
	if err := write(*dir, *host, time.Duration(*days)*24*time.Hour); err != nil {
		fmt.Fprintln(os.Stderr, "certs:", err)
		os.Exit(1)
	}
}

func write(dir, host string, valid time.Duration) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	from, to := now.Add(-time.Hour), now.Add(valid)
	pastFrom, pastTo := now.Add(-72*time.Hour), now.Add(-24*time.Hour)
	ca, err := kafkatest.NewCA("neurostream local broker CA", from, to)
	if err != nil {
		return err
	}
	other, err := kafkatest.NewCA("neurostream untrusted CA", from, to)
	if err != nil {
		return err
	}
	hosts := []string{host, "localhost"}
	files := map[string][]byte{"ca.pem": ca.PEM, "untrusted-ca.pem": other.PEM}
	issue := func(ca *kafkatest.CA, cn string, hosts []string, from, to time.Time) (cert, key []byte) {
		if err != nil {
			return nil, nil
		}
		cert, key, err = ca.Issue(cn, hosts, from, to)
		return cert, key
	}
	c, k := issue(ca, "neurostream broker", hosts, from, to)
	files["server.pem"] = ca.Keystore(c, k)
	c, k = issue(ca, "neurostream broker (expired)", hosts, pastFrom, pastTo)
	files["expired-server.pem"] = ca.Keystore(c, k)
	files["client.pem"], files["client-key.pem"] = issue(ca, "neurostream client", nil, from, to)
	files["expired-client.pem"], files["expired-client-key.pem"] = issue(ca, "neurostream client (expired)", nil, pastFrom, pastTo)
	files["untrusted-client.pem"], files["untrusted-client-key.pem"] = issue(other, "neurostream client (untrusted CA)", nil, from, to)
	if err != nil {
		return err
	}
	files["username"] = []byte(Username + "\n")
	for name, b := range files {
		// Written beside and renamed: a broker reading its keystore
		// never sees half a file.
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p+".tmp", b, 0o600); err != nil {
			return err
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return err
		}
	}
	pw := filepath.Join(dir, "password")
	if _, err := os.Stat(pw); errors.Is(err, fs.ErrNotExist) {
		b := make([]byte, 24)
		rand.Read(b) // never fails
		if err := os.WriteFile(pw, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	fmt.Printf("certs: CA and certificates for %s written to %s (valid until %s)\n", host, dir, to.UTC().Format(time.RFC3339))
	return nil
}
