package ddb

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
)

// DynamoDB's limits on a write, each in one place. The store checks every
// write against them before sending it, so that what DynamoDB would refuse
// with a ValidationException (a 500, and, for a request that had already
// drawn a number, a number burnt) is refused here as a domain error the
// client can act on, with nothing written.
const (
	// maxItemBytes is DynamoDB's bound on one item: 400 KB, attribute
	// names included ("Service, account, and table quotas in Amazon
	// DynamoDB", Items: Item size). DynamoDB Local accepts an item of
	// 409,600 bytes as itemSize counts them and refuses one more
	// (TestItemSizeMatchesDynamoDB).
	maxItemBytes = 400 << 10

	// maxTransactBytes is TransactWriteItems' bound on the aggregate size
	// of its items: 4 MB ("TransactWriteItems", Amazon DynamoDB API
	// Reference). DynamoDB Local sums the items as itemSize does and
	// refuses the 4,194,305th byte (TestTransactionSizeMatchesDynamoDB).
	maxTransactBytes = 4 << 20

	// maxTransactItems is TransactWriteItems' bound on the items of one
	// transaction: 100 (the same page).
	maxTransactItems = 100
)

// itemSize is the size DynamoDB gives an item, by the rules of "DynamoDB
// item sizes and formats" (Developer Guide): each attribute costs its
// name's UTF-8 bytes plus its value's size. A string or binary value is
// its bytes; a number as numberSize says; null and boolean one byte; a
// list or map 3 bytes plus, per element, one byte and the element's size
// (a map element's name included). The store writes no sets; one is
// counted as a list, which is more than DynamoDB counts.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		return collectionSize(v.Value, valueSize)
	case *types.AttributeValueMemberM:
		n := 3
		for name, e := range v.Value {
			n += 1 + len(name) + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		return collectionSize(v.Value, func(s string) int { return len(s) })
	case *types.AttributeValueMemberNS:
		return collectionSize(v.Value, numberSize)
	case *types.AttributeValueMemberBS:
		return collectionSize(v.Value, func(b []byte) int { return len(b) })
	}
	return 0
}

// collectionSize is a list's or a set's size: 3 bytes, and 1 byte more
// than each element's own size.
func collectionSize[E any](elems []E, size func(E) int) int {
	n := 3
	for _, e := range elems {
		n += 1 + size(e)
	}
	return n
}

// numberSize is a number's size as DynamoDB counts it, which its guide
// gives only roughly ("1 byte per two significant digits, plus 1"): it
// keeps a number as base-100 digits, two decimal digits a byte, counted
// from the decimal point out, leading and trailing zero pairs dropped;
// one byte more holds the exponent, and one more the sign of a negative
// number (so 120 takes 3 bytes, 1200 two, -1 three and 0 one; the cases
// of TestItemSizeMatchesDynamoDB). A number it cannot read is counted at
// one byte per character, more than any number takes.
func numberSize(s string) int {
	negative := strings.HasPrefix(s, "-")
	digits := strings.TrimLeft(s, "+-")
	exponent := 0
	if i := strings.IndexAny(digits, "eE"); i >= 0 {
		e, err := strconv.Atoi(digits[i+1:])
		if err != nil {
			return len(s)
		}
		digits, exponent = digits[:i], e
	}
	whole, fraction, _ := strings.Cut(digits, ".")
	digits = whole + fraction
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return len(s)
		}
	}
	// Align the digits on pairs counted from the decimal point.
	if point := len(whole) + exponent; point%2 != 0 {
		digits = "0" + digits
	}
	if len(digits)%2 != 0 {
		digits += "0"
	}
	pairs := len(digits) / 2
	for pairs > 0 && digits[:2] == "00" {
		digits, pairs = digits[2:], pairs-1
	}
	for pairs > 0 && digits[len(digits)-2:] == "00" {
		digits, pairs = digits[:len(digits)-2], pairs-1
	}
	if pairs == 0 {
		return 1
	}
	if negative {
		return pairs + 2
	}
	return pairs + 1
}

// The fields a refusal of a too-large write names, for what would not
// fit; a dialect renames them to its own (contract.RenameFields).
const (
	// TooLargeContract names a contract that would take more than one
	// item may hold.
	TooLargeContract = "contract"
	// TooLargeRequest names a request whose writes, together, pass what
	// one transaction may write.
	TooLargeRequest = "request"
	// TooLargeAnswer names an answer too large to keep for the request's
	// Idempotency-Key.
	TooLargeAnswer = "Idempotency-Key"
)

// tooLarge is the refusal of a write DynamoDB would refuse for its size:
// KindUnprocessable (the request is well-formed, but storage cannot hold
// what it makes), naming what.
func tooLarge(field, format string, args ...any) error {
	return &contract.Error{Kind: contract.KindUnprocessable, Message: "the change is larger than storage holds",
		Fields: []contract.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// checkWrite refuses, before anything is sent, a write DynamoDB would
// refuse for its size: more than maxTransactItems items, an item over
// maxItemBytes, or items over maxTransactBytes together. The refusal
// names what is too large, told by the items' type attribute: a contract
// (TooLargeContract, with its number), the answer kept for an
// Idempotency-Key (TooLargeAnswer), or else the request as a whole
// (TooLargeRequest).
func checkWrite(items ...types.TransactWriteItem) error {
	if len(items) > maxTransactItems {
		return tooLarge(TooLargeRequest, "it writes %d records, more than the %d one change may write together", len(items), maxTransactItems)
	}
	total := 0
	for _, it := range items {
		if it.Put == nil {
			// Only puts are counted. The store's one update inside a
			// transaction raises a customer's payment-account count; a
			// customer comes from one body, within 64 KiB, far inside
			// both limits.
			continue
		}
		size := itemSize(it.Put.Item)
		if size > maxItemBytes {
			field, what := describe(it.Put.Item)
			return tooLarge(field, "%s would take %d bytes of storage, more than the %d one record may hold", what, size, maxItemBytes)
		}
		total += size
	}
	if total > maxTransactBytes {
		return tooLarge(TooLargeRequest, "its changes would write %d bytes together, more than the %d one change may write", total, maxTransactBytes)
	}
	return nil
}

// describe names an item for a refusal: the field, and the words for it.
func describe(item map[string]types.AttributeValue) (field, what string) {
	text := func(name string) string {
		s, _ := item[name].(*types.AttributeValueMemberS)
		if s == nil {
			return ""
		}
		return s.Value
	}
	switch text("type") {
	case typeContract, typeReference:
		return TooLargeContract, "contract " + text("number")
	case typeIdemKey:
		return TooLargeAnswer, "the answer kept for the Idempotency-Key"
	case typeAction:
		return TooLargeRequest, "the record of contract action " + text("number")
	}
	return TooLargeRequest, "a record of " + text("type")
}

// gzipText compresses s for a binary attribute.
func gzipText(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s)) // writes to a bytes.Buffer do not fail
	w.Close()
	return b.Bytes()
}

// maxGunzipBytes bounds what gunzipText inflates: more than Lambda could
// ever answer (6 MB), so a stored answer always inflates whole, and a
// damaged one cannot inflate without end.
const maxGunzipBytes = 8 << 20

// gunzipText reverses gzipText.
func gunzipText(b []byte) (string, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	out, err := io.ReadAll(io.LimitReader(r, maxGunzipBytes+1))
	if err != nil {
		return "", err
	}
	if len(out) > maxGunzipBytes {
		return "", fmt.Errorf("inflates past %d bytes", maxGunzipBytes)
	}
	return string(out), nil
}
