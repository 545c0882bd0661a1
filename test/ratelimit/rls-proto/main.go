// rls-proto converts the rate-limit service's messages between protobuf JSON and the binary wire format
// with the reference Go implementation (google.golang.org/protobuf and go-control-plane's generated
// types), so the filter's own codec is tested against encodings it did not produce.
//
//	rls-proto decode-request  < binary RateLimitRequest   > JSON
//	rls-proto encode-response < JSON RateLimitResponse    > binary
//	rls-proto encode-request  < JSON RateLimitRequest     > binary
//	rls-proto decode-response < binary RateLimitResponse  > JSON
package main

import (
	"fmt"
	"io"
	"os"

	rls "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func main() {
	if len(os.Args) != 2 {
		fail("usage: rls-proto decode-request|encode-request|decode-response|encode-response < input > output")
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: " + err.Error())
	}
	var msg proto.Message
	switch os.Args[1] {
	case "decode-request", "encode-request":
		msg = &rls.RateLimitRequest{}
	case "decode-response", "encode-response":
		msg = &rls.RateLimitResponse{}
	default:
		fail("unknown mode " + os.Args[1])
	}
	var out []byte
	if os.Args[1][:6] == "decode" {
		if err := proto.Unmarshal(in, msg); err != nil {
			fail("not a valid message: " + err.Error())
		}
		out, err = protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
	} else {
		if err := protojson.Unmarshal(in, msg); err != nil {
			fail("not valid JSON for the message: " + err.Error())
		}
		out, err = proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	}
	if err != nil {
		fail(err.Error())
	}
	os.Stdout.Write(out)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "rls-proto: "+msg)
	os.Exit(2)
}
