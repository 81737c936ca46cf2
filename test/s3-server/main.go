// Command s3-server is the S3-compatible server of the project's tests: gofakes3 (a real S3 REST
// implementation) on a loopback port, plus the one check gofakes3 lacks, a known access key id,
// so that tests can see storage refuse wrong credentials.
//
// It prints "listening on http://HOST:PORT" on stdout once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Credential=<access key id>/<date>/<region>/s3/aws4_request in a SigV4 Authorization header or
// the X-Amz-Credential query parameter of a presigned URL.
var credentialPattern = regexp.MustCompile(`Credential=([^/,\s]+)/`)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (port 0 = any free port)")
	accessKey := flag.String("access-key", "", "the only access key id accepted; empty accepts any")
	dbFile := flag.String("db", "", "keep buckets in this bolt file (default: in memory)")
	flag.Parse()

	var backend gofakes3.Backend
	if *dbFile == "" {
		backend = s3mem.New()
	} else {
		b, err := s3bolt.NewFile(*dbFile)
		if err != nil {
			log.Fatalf("s3-server: %v", err)
		}
		backend = b
	}
	handler := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	if *accessKey != "" {
		handler = requireAccessKey(*accessKey, handler)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("s3-server: %v", err)
	}
	fmt.Fprintf(os.Stdout, "listening on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, handler))
}

// requireAccessKey answers 403 InvalidAccessKeyId, as AWS does, to requests signed with another key.
func requireAccessKey(want string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := credentialPattern.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
				m = credentialPattern.FindStringSubmatch("Credential=" + q)
			}
		}
		if m == nil || m[1] != want {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>`+
				`<Error><Code>InvalidAccessKeyId</Code>`+
				`<Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
			return
		}
		next.ServeHTTP(w, r)
	})
}
