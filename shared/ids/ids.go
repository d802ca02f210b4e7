// Package ids makes the random identifiers the dialects hand out: prefixed
// lowercase alphanumerics (Kukkingu's "ctr_..."), UUIDs, and hex strings.
// Every id comes from crypto/rand, so ids are unguessable and collide with
// negligible probability.
package ids

import (
	"crypto/rand"
	"encoding/hex"
)

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// LowerAlnum returns prefix followed by n random characters of [a-z0-9].
func LowerAlnum(prefix string, n int) string {
	b := make([]byte, len(prefix)+n)
	copy(b, prefix)
	buf := make([]byte, n)
	rand.Read(buf)
	for i, r := range buf {
		// 256 is not a multiple of 36: bytes of 252 (7*36) and above are
		// drawn again, so every character is equally likely.
		for r >= 252 {
			var one [1]byte
			rand.Read(one[:])
			r = one[0]
		}
		b[len(prefix)+i] = lowerAlnum[int(r)%len(lowerAlnum)]
	}
	return string(b)
}

// UUID returns a random (version 4) UUID in its canonical form.
func UUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// Hex returns n random bytes as 2n lowercase hex digits.
func Hex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
