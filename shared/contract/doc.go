// Package contract is the domain of the contracts service: the one contract
// model that every dialect (Kukkingu, Aira, fabric, EasyBilling) reads and
// writes, its rules, its errors, and the Store interface it needs from
// storage.
//
// The package imports no AWS package and knows no wire format. Dialects
// decode their requests into the types here, call a Service, and encode the
// result; the DynamoDB adapter implements Store.
package contract
