package httpapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/httpapi"
)

// lambdaPayload is resp as aws-lambda-go writes it back to Lambda: its
// own encoder, HTML left unescaped (its default), and a newline.
func lambdaPayload(t testing.TB, resp events.APIGatewayV2HTTPResponse) []byte {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// payloadBodies are bodies with every kind of character the encoder
// treats apart.
func payloadBodies() []string {
	var every strings.Builder
	for b := range 256 {
		every.WriteByte(byte(b))
	}
	return []string{
		"", `{"a":"b"}`, every.String(), "<>&", `"\`, "\b\f\n\r\t\x00\x1f\x7f",
		"\u2028\u2029", "é☃😀", "\xff\xfe", "a\xc3", string([]byte{0xed, 0xa0, 0x80}),
		`{"data":[{"name":"\u003cb\u003e"}]}`,
	}
}

// PayloadSize counts a response as aws-lambda-go writes it, byte for
// byte.
func TestPayloadSize(t *testing.T) {
	for _, body := range payloadBodies() {
		resp := events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json", "trace-id": "<&>"}, Body: body}
		if got, want := httpapi.PayloadSize(resp), len(lambdaPayload(t, resp)); got != want {
			t.Errorf("body %q: PayloadSize %d, written %d", body, got, want)
		}
	}
}

func FuzzPayloadSize(f *testing.F) {
	for _, body := range payloadBodies() {
		f.Add(body, "application/json")
	}
	f.Fuzz(func(t *testing.T, body, header string) {
		resp := events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"h": header}, Body: body}
		if got, want := httpapi.PayloadSize(resp), len(lambdaPayload(t, resp)); got != want {
			t.Fatalf("body %q: PayloadSize %d, written %d", body, got, want)
		}
	})
}

// A page shows every item when its answer fits in one Lambda response,
// and otherwise exactly as many as fit: the first item past them would
// not. Quotes count twice, as the payload escapes them.
func TestJSONPage(t *testing.T) {
	type page struct {
		Items []string `json:"items"`
	}
	item := strings.Repeat(`"`, 100_000) // 200 KB of payload, once escaped twice over
	items := make([]string, 100)
	for i := range items {
		items[i] = item
	}
	render := func(n int) any { return page{Items: items[:n]} }
	payload := func(n int) int {
		resp, err := httpapi.JSON(200, render(n))
		if err != nil {
			t.Fatal(err)
		}
		return httpapi.PayloadSize(resp)
	}

	resp, n, err := httpapi.JSONPage(200, 3, render)
	if err != nil || n != 3 || resp.StatusCode != 200 {
		t.Fatalf("a small page: %d items, %v", n, err)
	}

	resp, n, err = httpapi.JSONPage(200, len(items), render)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n == len(items) {
		t.Fatalf("a page of %d bytes shows %d of %d items", payload(len(items)), n, len(items))
	}
	if got := httpapi.PayloadSize(resp); got > httpapi.MaxPayloadBytes || payload(n+1) <= httpapi.MaxPayloadBytes-16<<10 {
		t.Fatalf("%d items answer %d bytes; one more would answer %d", n, got, payload(n+1))
	}
	var shown page
	if err := json.Unmarshal([]byte(resp.Body), &shown); err != nil || len(shown.Items) != n {
		t.Fatalf("the answer shows %d items, JSONPage says %d: %v", len(shown.Items), n, err)
	}

	huge := []string{strings.Repeat(`"`, httpapi.MaxPayloadBytes/2)}
	if _, _, err := httpapi.JSONPage(200, 1, func(n int) any { return page{Items: huge[:n]} }); err == nil {
		t.Fatal("an item that fits no answer is shown")
	}
}
