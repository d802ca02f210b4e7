package contract

import "testing"

func TestCurrencyOn(t *testing.T) {
	segments := []Segment{
		{EffectiveDate: "2024-01-01", ExpirationDate: "2024-12-31", Currencies: []string{"USD", "BRL"}},
		{EffectiveDate: "2024-06-01", ExpirationDate: "2024-12-31", Currencies: []string{"EUR"}},
		{EffectiveDate: "2025-01-01", ExpirationDate: "2025-12-31"},
	}
	tests := []struct {
		name string
		c    Contract
		day  string
		want string
	}{
		{"the amount's currency first", Contract{Amount: &Money{Minor: 1, Currency: "JPY"}, Segments: segments}, "2024-07-01", "JPY"},
		{"no amount, no segments", Contract{}, "2024-07-01", ""},
		{"before the first segment begins", Contract{Segments: segments}, "2023-12-31", "USD"},
		{"on the first segment's first day", Contract{Segments: segments}, "2024-01-01", "USD"},
		{"the day before the next segment", Contract{Segments: segments}, "2024-05-31", "USD"},
		{"the segment that followed", Contract{Segments: segments}, "2024-06-01", "EUR"},
		{"a segment without currencies", Contract{Segments: segments}, "2025-02-01", ""},
		{"past the last segment", Contract{Segments: segments[:2]}, "2030-01-01", "EUR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.CurrencyOn(tt.day); got != tt.want {
				t.Errorf("CurrencyOn(%s) = %q, want %q", tt.day, got, tt.want)
			}
		})
	}
}
