package httpapi_test

import (
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/httpapi"
)

func TestTexts(t *testing.T) {
	at := time.Date(2023, 10, 5, 14, 48, 0, 123e6, time.FixedZone("x", 3600))
	x := httpapi.NewTexts(2, 8)
	first := x.Time(at, time.RFC3339Nano)
	empty := x.Empty()
	last := x.Time(at, "2006-01-02")
	x.Seal()
	for i, want := range map[int]string{first: "2023-10-05T13:48:00.123Z", empty: "", last: "2023-10-05"} {
		if got := x.Text(i); got != want {
			t.Errorf("Text(%d) = %q, want %q", i, got, want)
		}
	}
}
