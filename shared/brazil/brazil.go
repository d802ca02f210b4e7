// Package brazil checks Brazilian identifiers the way Brazilian systems
// do: CPF and CNPJ tax ids with their check digits, CEP postal codes, and
// the 27 federative units (UF codes).
package brazil

import "strings"

// ufs are the 26 states and the Federal District.
var ufs = map[string]bool{
	"AC": true, "AL": true, "AP": true, "AM": true, "BA": true, "CE": true, "DF": true,
	"ES": true, "GO": true, "MA": true, "MT": true, "MS": true, "MG": true, "PA": true,
	"PB": true, "PR": true, "PE": true, "PI": true, "RJ": true, "RN": true, "RS": true,
	"RO": true, "RR": true, "SC": true, "SP": true, "SE": true, "TO": true,
}

// ValidUF reports whether s is one of the 27 UF codes, in capitals.
func ValidUF(s string) bool { return ufs[s] }

// ValidCEP reports whether s is a CEP: 8 digits, optionally written with a
// hyphen before the last three (01310-100).
func ValidCEP(s string) bool {
	if len(s) == 9 && s[5] == '-' {
		s = s[:5] + s[6:]
	}
	return len(s) == 8 && allDigits(s)
}

// punctuation is the punctuation a formatted CPF or CNPJ carries.
var punctuation = strings.NewReplacer(".", "", "-", "", "/", "")

// ValidTaxID reports whether s is a valid CPF (11 digits) or CNPJ (14
// digits), with or without its usual punctuation (123.456.789-09,
// 12.345.678/0001-95), by their check digits. Numbers of one repeated
// digit pass the arithmetic but are not issued, and are refused.
func ValidTaxID(s string) bool {
	digits := punctuation.Replace(s)
	if !allDigits(digits) || repeated(digits) {
		return false
	}
	switch len(digits) {
	case 11:
		return checkDigit(digits[:9], 10) == digits[9] && checkDigit(digits[:10], 11) == digits[10]
	case 14:
		return cnpjDigit(digits[:12]) == digits[12] && cnpjDigit(digits[:13]) == digits[13]
	}
	return false
}

// checkDigit is the CPF check digit over digits with weights falling from
// first to 2.
func checkDigit(digits string, first int) byte {
	sum := 0
	for i, d := range digits {
		sum += int(d-'0') * (first - i)
	}
	r := sum * 10 % 11
	if r == 10 {
		r = 0
	}
	return byte('0' + r)
}

// cnpjDigit is the CNPJ check digit: weights 2 to 9 from the right,
// repeating.
func cnpjDigit(digits string) byte {
	sum, w := 0, 2
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * w
		w++
		if w > 9 {
			w = 2
		}
	}
	r := sum % 11
	if r < 2 {
		return '0'
	}
	return byte('0' + 11 - r)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func repeated(s string) bool { return strings.Count(s, s[:1]) == len(s) }
