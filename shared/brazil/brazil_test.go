package brazil

import "testing"

func TestValidTaxID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"529.982.247-25", true}, // a CPF used in Brazilian documentation
		{"52998224725", true},
		{"529.982.247-24", false},
		{"111.111.111-11", false},
		{"11.222.333/0001-81", true}, // a CNPJ used in Brazilian documentation
		{"11222333000181", true},
		{"11.222.333/0001-82", false},
		{"00.000.000/0000-00", false},
		{"1234567890", false},
		{"5299822472a", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidTaxID(tt.in); got != tt.want {
			t.Errorf("ValidTaxID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidCEPAndUF(t *testing.T) {
	for in, want := range map[string]bool{"01310-100": true, "01310100": true, "0131-0100": false, "0131010": false, "01310-10a": false} {
		if got := ValidCEP(in); got != want {
			t.Errorf("ValidCEP(%q) = %v", in, got)
		}
	}
	for in, want := range map[string]bool{"AC": true, "SP": true, "DF": true, "sp": false, "XX": false, "": false} {
		if got := ValidUF(in); got != want {
			t.Errorf("ValidUF(%q) = %v", in, got)
		}
	}
	if len(ufs) != 27 {
		t.Fatalf("%d UF codes, want 27", len(ufs))
	}
}
